// Statements on the transfers' hot paths, held to plans whose cost does not grow with history:
// the peers the outbox holds messages for (the relay's look-over, on each wake that names none),
// a seek per peer on the outbox_pending index, whatever the backlog; a dispatch's units, kept
// line by line.
import t from 'tap'
import { KEEP_UNITS, PEERS_WAITING, waiting } from '../../../db/transfers/ops.ts'
import { testDb } from '../../fixtures/test-db.ts'

t.test('the peers with undelivered messages, each once, and never a peer served', async (t) => {
  const knex = await testDb(t)
  const at = new Date().toISOString()
  const row = (n: number, to: string, delivered: boolean) => ({
    id: `m-${n}`,
    toNode: to,
    kind: 'message.federated',
    transferId: 'orders',
    payload: '{}',
    createdAt: at,
    ...(delivered && { deliveredAt: at, status: 'applied' }),
  })
  t.same(await waiting(knex), { peers: [] })
  await knex('outbox').insert([
    row(1, 'node-sur', false),
    row(2, 'node-norte', true),
    row(3, 'node-sur', false),
    row(4, 'node-este', false),
    row(5, 'node-este', true),
  ])
  t.same(await waiting(knex), { peers: ['node-este', 'node-sur'] })
  // A seek per peer on the index: no step reads the outbox row by row.
  const plan = (await knex.raw(`EXPLAIN QUERY PLAN ${PEERS_WAITING}`)) as { detail: string }[]
  const reads = plan.map((p) => p.detail).filter((d) => /\boutbox\b/.test(d))
  t.ok(reads.length > 0, reads.join('; '))
  t.ok(
    reads.every((d) => /^SEARCH outbox USING (COVERING )?INDEX outbox_pending/.test(d)),
    `every read of the outbox is on outbox_pending: ${reads.join('; ')}`
  )
})

t.test("a dispatch's units are kept line by line on the inbox's path", async (t) => {
  // Each line found by its key: a statement that read every transfer that came in, as one did,
  // cost the receiver more with each (3.6 ms an apply in the transfers bench, against 1.0).
  const knex = await testDb(t)
  const plan = (await knex.raw(`EXPLAIN QUERY PLAN ${KEEP_UNITS}`, ['[]'])) as { detail: string }[]
  const tables = plan.map((p) => p.detail).filter((d) => /transfer/.test(d))
  t.same(
    tables.map((d) => d.replace(/ USING .*/, '')),
    ['SEARCH transfer_lines', 'SEARCH t EXISTS'],
    tables.join('; ')
  )
})
