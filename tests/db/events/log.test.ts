import t from 'tap'
import type { Knex } from 'knex'
import { pino } from 'pino'
import { runBatch } from '../../../db/batch.ts'
import {
  PROTOCOL_VERSION,
  type Item,
  type LogEvent,
  type Member,
  type Movement,
  type OpName,
  type Payload,
} from '../../../db/contract/index.ts'
import { dispatch } from '../../../db/dispatch.ts'
import { grownPosition, listEvents } from '../../../db/events/log.ts'
import { ensureIdentity } from '../../../db/operations/node.ts'
import { testDb } from '../../fixtures/test-db.ts'
import { failingCreate } from '../failing-table.ts'

const log = pino({ level: 'silent' })
let counter = 0

function envelope<O extends OpName>(op: O, payload: Payload<O>, key?: string) {
  const id = `e-${++counter}`
  return { v: PROTOCOL_VERSION, id, op, payload, deadline: Date.now() + 60_000, key }
}

const item = (sku: string) => envelope('items.create', { sku, name: sku, unit: 'ea' })
const receipt = (sku: string, quantity: number) =>
  envelope('movements.record', { type: 'receipt', sku, quantity })
const issue = (sku: string, quantity: number) =>
  envelope('movements.record', { type: 'issue', sku, quantity })

async function events(knex: Knex): Promise<LogEvent[]> {
  return (await listEvents(knex, { after: 0, limit: 1000 })).events
}

const member = (id: string, state: Member['state']): Member => ({
  id,
  name: `Node ${id}`,
  address: `http://10.0.0.1:${8000 + id.length}`,
  state,
  incarnation: 1,
  stateChangedAt: '2026-12-15T10:00:00.000Z',
  evidenceAt: null,
})

t.test(
  'a run of receipts appends one event per movement, numbered on without gaps, with the whole row',
  async (t) => {
    const knex = await testDb(t)
    await runBatch(knex, [item('A'), item('B')], { log })
    const run = Array.from({ length: 40 }, (_, i) => receipt(i % 2 ? 'A' : 'B', i + 1))
    const replies = await runBatch(knex, run, { log })
    const found = await events(knex)
    t.same(
      found.map((e) => e.seq),
      Array.from({ length: 42 }, (_, i) => i + 1)
    )
    t.same(
      found.slice(2).map((e) => [e.type, e.subject, e.data, e.createdAt]),
      replies.map((r) => {
        const movement = (r.ok && r.data) as Movement
        return ['movement.recorded', movement.sku, movement, movement.createdAt]
      }),
      'each event holds the movement as the reply gave it'
    )
    const [last] = await knex('movements').orderBy('seq', 'desc').limit(1).select('seq', 'hash')
    t.same(
      await grownPosition(knex),
      { head: 42, ledger: { seq: last.seq, hash: last.hash } },
      'the worker is told the log grew, to its last seq, with the ledger head'
    )
    t.equal(await grownPosition(knex), null, 'and told once')
  }
)

t.test('refused and failed writes leave no event, and the others keep theirs', async (t) => {
  const knex = await testDb(t)
  await ensureIdentity(knex, 'Sevilla')
  const table = failingCreate('BAD')
  const replies = await runBatch(
    knex,
    [item('A'), item('BAD'), receipt('A', 2), issue('A', 5), receipt('GHOST', 1), item('A')],
    { log, table }
  )
  t.same(
    replies.map((r) => (r.ok ? 'ok' : r.error.code)),
    ['ok', 'INTERNAL', 'ok', 'INSUFFICIENT_STOCK', 'NOT_FOUND', 'CONFLICT']
  )
  t.same(
    (await events(knex)).map((e) => [e.seq, e.type, e.subject]),
    [
      [1, 'item.created', 'A'],
      [2, 'movement.recorded', 'A'],
    ]
  )
})

t.test('a batch that cannot commit leaves no event', async (t) => {
  const knex = await testDb(t)
  await knex.schema.renameTable('idempotency_keys', 'idempotency_keys_gone')
  const replies = await runBatch(knex, [item('A'), { ...item('B'), key: 'k-1' }], { log })
  t.match(replies, [{ ok: false, error: { code: 'INTERNAL' } }, { ok: false }])
  t.same(await events(knex), [])
})

t.test('item changes and member changes append their whole rows', async (t) => {
  const knex = await testDb(t)
  const send = (env: unknown) => knex.transaction((trx) => dispatch(trx, env, { log }))
  const created = await send(envelope('items.create', { sku: 'ROPE', name: 'Rope', unit: 'm' }))
  const updated = await send(
    envelope('items.update', { sku: 'ROPE', patch: { name: 'Rope 10 mm', reorderPoint: 5 } })
  )
  await send(
    envelope('members.apply', { members: [member('a', 'alive'), member('bb', 'suspect')] })
  )
  await send(envelope('members.apply', { members: [], rejoin: false }))
  const found = await events(knex)
  t.same(
    found.map((e) => [e.seq, e.type, e.subject]),
    [
      [1, 'item.created', 'ROPE'],
      [2, 'item.updated', 'ROPE'],
      [3, 'member.changed', 'a'],
      [4, 'member.changed', 'bb'],
    ],
    'a change of the rejoin setting alone is no member change'
  )
  t.same(found[0].data, created.ok && (created.data as Item))
  t.same(found[1].data, updated.ok && (updated.data as Item))
  t.same(found[1].createdAt, (found[1].data as Item).updatedAt)
  t.same(found[3].data, member('bb', 'suspect'))
})

t.test('events.list pages after a seq, filters by type, and tells the head', async (t) => {
  const knex = await testDb(t)
  // One batch each: a batch runs its writes grouped by operation (db/batch.ts), and this log
  // is to interleave its types.
  for (const env of [item('A'), receipt('A', 1), item('B'), receipt('A', 2), receipt('B', 3)]) {
    await runBatch(knex, [env], { log })
  }
  const list = async (payload: Payload<'events.list'>) => {
    const reply = await dispatch(knex, envelope('events.list', payload), { log })
    if (!reply.ok) throw new Error(reply.error.message)
    const { events: page, head } = reply.data as { events: LogEvent[]; head: number }
    return { seqs: page.map((e) => e.seq), head }
  }
  t.same(await list({ after: 0, limit: 2 }), { seqs: [1, 2], head: 5 })
  t.same(await list({ after: 2, limit: 2 }), { seqs: [3, 4], head: 5 })
  t.same(await list({ after: 4, limit: 2 }), { seqs: [5], head: 5 })
  t.same(await list({ after: 5, limit: 2 }), { seqs: [], head: 5 }, 'caught up')
  t.same(await list({ after: 0, limit: 10, types: ['item.created'] }), { seqs: [1, 3], head: 5 })
  t.same(await list({ after: 1, limit: 1, types: ['movement.recorded'] }), { seqs: [2], head: 5 })
  t.same(await list({ after: 0, limit: 10, types: ['transfer.sent'] }), { seqs: [], head: 5 })
  t.match(
    await dispatch(knex, envelope('events.list', { after: -1, limit: 0 } as never), { log }),
    {
      ok: false,
      error: { code: 'BAD_REQUEST', details: [{ path: 'after' }, { path: 'limit' }] },
    }
  )
})

t.test('the schema keeps the log append-only and numbered without gaps', async (t) => {
  const knex = await testDb(t)
  await runBatch(knex, [item('A')], { log })
  const row = { type: 'item.created', subject: 'X', data: '{}', createdAt: 'now' }
  await t.rejects(knex('events').insert({ ...row, seq: 3 }), { message: /without gaps/ })
  await t.rejects(knex('events').insert({ ...row, seq: 1 }), { message: /without gaps/ })
  await t.rejects(knex('events').insert(row), { message: /without gaps/ })
  await t.rejects(knex('events').insert({ ...row, seq: 2, data: 'not json' }), {
    message: /CHECK constraint failed: events_data_json/,
  })
  await t.rejects(knex('events').update({ subject: 'Y' }), { message: /append-only/ })
  await t.rejects(knex('events').delete(), { message: /append-only/ })
  await knex('events').insert({ ...row, seq: 2 })
  t.same(
    (await events(knex)).map((e) => e.seq),
    [1, 2]
  )
})
