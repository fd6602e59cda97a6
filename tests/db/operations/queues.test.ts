// Publishes that reach the worker together run as one (queues.publish's run form): each must be
// answered exactly as it would be alone, a refused one must write nothing, and an id seen earlier
// in the same run is a duplicate.
import t from 'tap'
import { pino } from 'pino'
import { PROTOCOL_VERSION, type OpName, type Payload } from '../../../db/contract/index.ts'
import { runBatch } from '../../../db/batch.ts'
import { MAX_DEPTH } from '../../../db/operations/queues.ts'
import { testDb } from '../../fixtures/test-db.ts'

// A run that fails falls back to one by one, with a warning: none must be logged here.
const warnings: string[] = []
const log = pino({ level: 'warn' }, { write: (line: string) => warnings.push(line) })
let counter = 0

function envelope<O extends OpName>(op: O, payload: Payload<O>) {
  return { v: PROTOCOL_VERSION, id: `q-${++counter}`, op, payload, deadline: Date.now() + 60_000 }
}

/** A database with one queue, `q`. */
async function withQueue(t: Parameters<typeof testDb>[0]) {
  const knex = await testDb(t)
  await runBatch(
    knex,
    [envelope('queues.create', { name: 'q', visibilityTimeoutMs: 30_000, maxDeliveries: 5 })],
    { log }
  )
  return knex
}

const message = (id: string) => ({
  id,
  body: JSON.stringify({ id }),
  headers: {},
  delayMs: 0,
  ttlMs: null,
})

t.test('a batch of publishes is answered as each alone would be', async (t) => {
  const knex = await withQueue(t)
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
  t.same(warnings, [], 'the publishes ran as one run, not one by one')
})

t.test(
  'one publish of many: ids repeated in it or seen before are duplicates, the rest in order',
  async (t) => {
    const knex = await withQueue(t)
    const [before] = await runBatch(
      knex,
      [envelope('queues.publish', { queue: 'q', messages: [message('old')] })],
      { log }
    )
    const oldSeq = (before as { data: { results: { seq: number }[] } }).data.results[0].seq
    // More than one statement's worth (500 rows), with repeats on both sides of the cut.
    const ids = Array.from({ length: 990 }, (_, i) => `m-${i}`)
    const sent = [...ids.slice(0, 600), 'old', 'm-3', ...ids.slice(600), 'm-700']
    const [reply] = await runBatch(
      knex,
      [envelope('queues.publish', { queue: 'q', messages: sent.map(message) })],
      { log }
    )
    const results = (
      reply as { data: { results: { id: string; seq: number; duplicate: boolean }[] } }
    ).data.results
    t.equal(results.length, sent.length, 'one result per message sent, in its place')
    t.same(
      results.filter((r) => r.duplicate).map((r) => r.id),
      ['old', 'm-3', 'm-700'],
      'the id seen before and the two repeated in the publish'
    )
    const seqOf = new Map(results.filter((r) => !r.duplicate).map((r) => [r.id, r.seq]))
    t.equal(
      results.find((r) => r.id === 'old')?.seq,
      oldSeq,
      'a duplicate names the seq it repeats'
    )
    t.equal(results.at(-1)?.seq, seqOf.get('m-700'))
    const seqs = ids.map((id) => seqOf.get(id) as number)
    t.ok(
      seqs.every((seq, i) => i === 0 || seq > seqs[i - 1]),
      'the new ones take seqs in the order sent'
    )
    const stored = (
      (await knex('queue_messages').where({ queue: 'q' }).orderBy('seq').select('messageId')) as {
        messageId: string
      }[]
    ).map((row) => row.messageId)
    t.same(stored, ['old', ...ids], 'each stored once, in order')
    t.equal(
      Number((await knex('queue_message_ids').where({ queue: 'q' }).count({ n: '*' }))[0].n),
      991,
      'every id kept for ever'
    )
  }
)

t.test(
  'acks, nacks and extensions of many receipts at once: each answered for itself',
  async (t) => {
    const knex = await testDb(t)
    const run = async <O extends OpName>(op: O, payload: Payload<O>) => {
      const [reply] = await runBatch(knex, [envelope(op, payload)], { log })
      if (!reply.ok) throw new Error(JSON.stringify(reply))
      return reply.data as any
    }
    await run('queues.create', { name: 'q', visibilityTimeoutMs: 30_000, maxDeliveries: 5 })
    const ids = Array.from({ length: 120 }, (_, i) => `m-${i}`)
    await run('queues.publish', { queue: 'q', messages: ids.map(message) })
    const { messages } = await run('queues.receive', { queue: 'q', max: 100 })
    const receipts: string[] = messages.map((m: { receipt: string }) => m.receipt)
    t.equal(new Set(receipts).size, 100, 'each delivery its own receipt')
    const acked = await run('queues.ack', {
      queue: 'q',
      receipts: [receipts[0], receipts[0], receipts[1], '7.not-a-receipt'],
    })
    t.same(
      acked.results.map((r: { ok: boolean }) => r.ok),
      [true, false, true, false],
      'a receipt given twice is acknowledged once; one that holds nothing is named'
    )
    const nacked = await run('queues.nack', {
      queue: 'q',
      receipts: receipts.slice(2, 50),
      delayMs: 0,
    })
    t.ok(
      nacked.results.every((r: { ok: boolean }) => r.ok),
      'each nacked'
    )
    const extended = await run('queues.extend', {
      queue: 'q',
      receipts: [...receipts.slice(40, 60), receipts[59]],
      visibilityMs: 60_000,
    })
    t.same(
      extended.results.map((r: { ok: boolean }) => r.ok),
      [...Array(10).fill(false), ...Array(11).fill(true)],
      'the nacked ones are no longer held; the others are extended (one given twice: both times)'
    )
    const rows = (await knex('queue_messages')
      .where({ queue: 'q' })
      .select('messageId', 'receipt')) as {
      messageId: string
      receipt: string | null
    }[]
    t.equal(rows.length, 118, 'the two acknowledged are gone')
    t.equal(
      rows.filter((r) => r.receipt !== null).length,
      50,
      'held: the 50 neither acked nor nacked'
    )
  }
)

t.test('in one run, the queue fills as each publish would fill it alone', async (t) => {
  const knex = await withQueue(t)
  await knex('queues')
    .where({ name: 'q' })
    .update({ depth: MAX_DEPTH - 2 })
  const replies = await runBatch(
    knex,
    [
      envelope('queues.publish', { queue: 'q', messages: [message('a'), message('b')] }),
      envelope('queues.publish', { queue: 'q', messages: [message('b'), message('a')] }),
      envelope('queues.publish', { queue: 'q', messages: [message('c')] }),
    ],
    { log }
  )
  t.match(replies[0], { ok: true, data: { results: [{ duplicate: false }, { duplicate: false }] } })
  t.match(
    replies[1],
    {
      ok: true,
      data: {
        results: [
          { id: 'b', duplicate: true },
          { id: 'a', duplicate: true },
        ],
      },
    },
    'repeats add nothing, so they fit'
  )
  t.match(replies[2], {
    ok: false,
    error: {
      code: 'CONFLICT',
      message: `Queue q holds ${MAX_DEPTH} messages, and takes at most ${MAX_DEPTH}: consume some first`,
    },
  })
  // Refused on a queue that exists: nothing of it was kept, not even its id.
  t.same(await knex('queue_message_ids').where({ messageId: 'c' }), [], 'the refused id')
  t.same(await knex('queue_messages').where({ messageId: 'c' }), [], 'the refused message')
  t.equal(warnings.length, 0, 'the run was not taken apart')
})
