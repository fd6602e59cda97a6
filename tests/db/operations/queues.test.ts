// Publishes that reach the worker together run as one (queues.publish's run form): each must be
// answered exactly as it would be alone, a refused one must write nothing, and an id seen earlier
// in the same run is a duplicate.
import t from 'tap'
import { pino } from 'pino'
import { PROTOCOL_VERSION, type OpName, type Payload } from '../../../db/contract/index.ts'
import { runBatch } from '../../../db/batch.ts'
import { testDb } from '../../fixtures/test-db.ts'

// A run that fails falls back to one by one, with a warning: none must be logged here.
const warnings: string[] = []
const log = pino({ level: 'warn' }, { write: (line: string) => warnings.push(line) })
let counter = 0

function envelope<O extends OpName>(op: O, payload: Payload<O>) {
  return { v: PROTOCOL_VERSION, id: `q-${++counter}`, op, payload, deadline: Date.now() + 60_000 }
}

const message = (id: string) => ({
  id,
  body: JSON.stringify({ id }),
  headers: {},
  delayMs: 0,
  ttlMs: null,
})

t.test('a batch of publishes is answered as each alone would be', async (t) => {
  const knex = await testDb(t)
  await runBatch(
    knex,
    [envelope('queues.create', { name: 'q', visibilityTimeoutMs: 30_000, maxDeliveries: 5 })],
    { log }
  )
  const replies = await runBatch(
    knex,
    [
      envelope('queues.publish', { queue: 'q', messages: [message('a')] }),
      envelope('queues.publish', { queue: 'nowhere', messages: [message('x')] }),
      envelope('queues.publish', { queue: 'q', messages: [message('a')] }),
      envelope('queues.publish', { queue: 'q', messages: [message('b'), message('c')] }),
    ],
    { log }
  )
  t.match(replies[0], { ok: true, data: { results: [{ id: 'a', duplicate: false }] } })
  t.match(replies[1], { ok: false, error: { code: 'NOT_FOUND' } })
  const first = (replies[0] as { data: { results: { seq: number }[] } }).data.results[0].seq
  t.match(replies[2], { ok: true, data: { results: [{ id: 'a', seq: first, duplicate: true }] } })
  t.match(replies[3], {
    ok: true,
    data: {
      results: [
        { id: 'b', duplicate: false },
        { id: 'c', duplicate: false },
      ],
    },
  })
  const stored = await knex('queue_messages').orderBy('seq').select('queue', 'messageId')
  t.same(stored, [
    { queue: 'q', messageId: 'a' },
    { queue: 'q', messageId: 'b' },
    { queue: 'q', messageId: 'c' },
  ])
  t.same(
    await knex('queue_message_ids').where({ messageId: 'x' }),
    [],
    'the refused one wrote nothing'
  )
  t.same(warnings, [], 'the publishes ran as one run, not one by one')
})
