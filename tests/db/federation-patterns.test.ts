// The federation's trigger matches topic patterns as the subscriptions do: a `*` is one word,
// even before a last `>` (migrations/20270112100000_topic_patterns_word_by_word.ts).
import type { Knex } from 'knex'
import { pino } from 'pino'
import t from 'tap'
import { runBatch } from '../../db/batch.ts'
import { PROTOCOL_VERSION, type OpName, type Payload } from '../../db/contract/index.ts'
import { takeOutboxGrew } from '../../db/events/log.ts'
import { ensureIdentity } from '../../db/operations/node.ts'
import { create, federate, publish } from '../../db/operations/topics.ts'
import { testDb } from '../fixtures/test-db.ts'
import { afterCreate } from './failing-table.ts'

const log = pino({ level: 'silent' })
let counter = 0
const envelope = <O extends OpName>(op: O, payload: Payload<O>) => ({
  v: PROTOCOL_VERSION,
  id: `f-${++counter}`,
  op,
  payload,
  deadline: Date.now() + 60_000,
})

/** Sevilla, a member alive, the peer the federations below name. */
const sevilla = (knex: Knex) =>
  knex('members').insert({
    id: 'node-sevilla',
    name: 'Sevilla',
    address: 'http://127.0.0.1:1',
    state: 'alive',
    incarnation: 0,
    stateChangedAt: new Date().toISOString(),
  })

t.test('a federated pattern carries only the topics whose words it matches in place', async (t) => {
  const knex = await testDb(t)
  await sevilla(knex)
  await federate(knex, { pattern: '*.eu.>', peers: ['Sevilla'] })
  for (const name of ['orders.eu.x', 'orders.fr.eu.x', 'a.eu.b.c', 'eu.x']) {
    await create(knex, { name, retentionMs: 60_000, retentionCount: 100 })
    await publish(knex, {
      topic: name,
      messages: [{ id: `m-${name}`, body: '1', headers: {} }],
    })
  }
  const rows = (await knex('outbox').where({ kind: 'message.federated' })) as {
    transferId: string
  }[]
  t.same(
    rows.map((r) => r.transferId).sort(),
    ['a.eu.b.c', 'orders.eu.x'],
    'not orders.fr.eu.x, nor eu.x'
  )
})

t.test('a federated message gets an id never given before, whatever the counters do', async (t) => {
  // A node restored from its peers, or put back from a backup, counts its topic messages from
  // where that copy left them: ids made from that count were ones its peers had already taken,
  // and refused for ever (db/transfers/ops.ts reusedId).
  const knex = await testDb(t)
  await sevilla(knex)
  await federate(knex, { pattern: 'orders', peers: ['Sevilla'] })
  await create(knex, { name: 'orders', retentionMs: 60_000, retentionCount: 100 })
  const ids: string[] = []
  for (const id of ['first', 'after the restore']) {
    await publish(knex, { topic: 'orders', messages: [{ id, body: '1', headers: {} }] })
    const [row] = (await knex('outbox').orderBy('seq', 'desc').limit(1)) as { id: string }[]
    ids.push(row.id)
    // The count starts again, as in a database restored with no topic messages.
    await knex.raw(`DELETE FROM sqlite_sequence WHERE name = 'topic_messages'`)
    await knex('topicMessages').delete()
    await knex('topicMessageIds').delete()
  }
  t.equal(ids.length, 2)
  t.not(ids[0], ids[1], 'two messages, two ids')
  t.match(ids[0], /^federated:topic:[0-9a-f]{32}:node-sevilla$/)
})

t.test(
  'a federation removed in a batch whose COMMIT fails still wakes the relay for what it carries',
  async (t) => {
    const knex = await testDb(t)
    await ensureIdentity(knex, 'Madrid')
    await sevilla(knex)
    await federate(knex, { pattern: 'stock.>', peers: ['Sevilla'] })
    await runBatch(knex, [envelope('items.create', { sku: 'A', name: 'A', unit: 'ea' })], { log })
    takeOutboxGrew(knex)
    // The removal, then a receipt that reads "no rules" in the same transaction, then a write
    // that fails at COMMIT (a deferred foreign key): the removal is taken back.
    await knex.raw('CREATE TABLE parents (id INTEGER PRIMARY KEY)')
    await knex.raw(`CREATE TABLE children (id INTEGER PRIMARY KEY,
      parent INTEGER REFERENCES parents (id) DEFERRABLE INITIALLY DEFERRED)`)
    const table = afterCreate('ORPHAN', (trx) => trx.raw('INSERT INTO children VALUES (1, 42)'))
    const failed = await runBatch(
      knex,
      [
        envelope('federations.delete', { pattern: 'stock.>' }),
        envelope('movements.record', { type: 'receipt', sku: 'A', quantity: 1 }),
        envelope('items.create', { sku: 'ORPHAN', name: 'O', unit: 'ea' }),
      ],
      { log, table }
    )
    t.match(failed, [{ ok: false }, { ok: false }, { ok: false }])
    t.equal(
      await knex('federations')
        .count({ n: '*' })
        .first()
        .then((r) => Number(r?.n)),
      1
    )
    takeOutboxGrew(knex)
    await runBatch(
      knex,
      [envelope('movements.record', { type: 'receipt', sku: 'A', quantity: 2 })],
      {
        log,
      }
    )
    t.equal(
      await knex('outbox')
        .count({ n: '*' })
        .first()
        .then((r) => Number(r?.n)),
      1
    )
    t.ok(takeOutboxGrew(knex), 'the relay is told the outbox grew')
  }
)
