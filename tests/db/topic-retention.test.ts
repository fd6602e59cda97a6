// A topic's retention, at the worker's operations on a migrated database: its count is of its own
// messages (seqs are numbered across every topic), and what has expired is neither counted nor
// handed out, though the topic has had no publish since to prune it.
import t from 'tap'
import { create, feed, get, publish, subscribeV2 } from '../../db/operations/topics.ts'
import { receive } from '../../db/operations/queues.ts'
import { testDb } from '../fixtures/test-db.ts'

const message = (id: string) => ({ id, body: JSON.stringify(id), headers: {} })

t.test('a topic keeps its own last retentionCount, whatever other topics publish', async (t) => {
  const knex = await testDb(t)
  await create(knex, { name: 'orders.eu', retentionMs: 86_400_000, retentionCount: 3 })
  await create(knex, { name: 'orders.us', retentionMs: 86_400_000, retentionCount: 100 })
  for (const id of ['o1', 'o2', 'o3', 'o4', 'o5'])
    await publish(knex, { topic: 'orders.eu', messages: [message(id)] })
  await publish(knex, {
    topic: 'orders.us',
    messages: ['u1', 'u2', 'u3', 'u4', 'u5', 'u6'].map(message),
  })
  await publish(knex, { topic: 'orders.eu', messages: [message('o6')] })

  t.match(await get(knex, { name: 'orders.eu' }), { messages: 3 })
  const kept = await feed(knex, { pattern: 'orders.eu', after: 0, limit: 100 })
  t.same(
    kept.messages.map((m) => m.id),
    ['o4', 'o5', 'o6'],
    'its last three, not one'
  )
  t.match(await get(knex, { name: 'orders.us' }), { messages: 6 }, 'the other topic keeps its own')
})

t.test(
  'an expired message is neither counted nor handed out before the next publish',
  async (t) => {
    const knex = await testDb(t)
    await create(knex, { name: 'short.lived', retentionMs: 60_000, retentionCount: 100 })
    await publish(knex, { topic: 'short.lived', messages: [message('old'), message('new')] })
    // Published two minutes ago, as a quiet topic's message would be by now.
    await knex('topicMessages')
      .where({ messageId: 'old' })
      .update({ publishedAt: new Date(Date.now() - 120_000).toISOString() })

    t.match(await get(knex, { name: 'short.lived' }), { messages: 1 })
    const streamed = await feed(knex, { pattern: 'short.lived', after: 0, limit: 100 })
    t.same(
      streamed.messages.map((m) => m.id),
      ['new'],
      'the stream starts at what is kept'
    )
    await subscribeV2(knex, {
      name: 'late',
      pattern: 'short.*',
      visibilityTimeoutMs: 30_000,
      maxDeliveries: 5,
      since: '2020-01-01T00:00:00.000Z',
      afterEvent: null,
      afterMessage: null,
    })
    const got = await receive(knex, { queue: 'late', max: 10 })
    t.same(
      got.messages.map((m) => m.id),
      ['new'],
      'a subscription from long ago gets what is kept'
    )
    // The topic's next publish deletes it.
    await publish(knex, { topic: 'short.lived', messages: [message('newer')] })
    const rows = (await knex('topicMessages').where({ topic: 'short.lived' }).orderBy('seq')) as {
      messageId: string
    }[]
    t.same(
      rows.map((m) => m.messageId),
      ['new', 'newer']
    )
  }
)
