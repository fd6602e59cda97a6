// The federation's trigger matches topic patterns as the subscriptions do: a `*` is one word,
// even before a last `>` (migrations/20270112100000_topic_patterns_word_by_word.ts).
import t from 'tap'
import { create, federate, publish } from '../../db/operations/topics.ts'
import { testDb } from '../fixtures/test-db.ts'

t.test('a federated pattern carries only the topics whose words it matches in place', async (t) => {
  const knex = await testDb(t)
  await knex('members').insert({
    id: 'node-sevilla',
    name: 'Sevilla',
    address: 'http://127.0.0.1:1',
    state: 'alive',
    incarnation: 0,
    stateChangedAt: new Date().toISOString(),
  })
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
