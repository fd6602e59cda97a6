// What a peer's dispatch may bring into this catalogue: only SKUs in the form the API stores and
// items within the API's limits. Anything else is refused, and nothing of it is stored.
import t from 'tap'
import { pino } from 'pino'
import { runBatch } from '../../../db/batch.ts'
import { PROTOCOL_VERSION, type Payload } from '../../../db/contract/index.ts'
import { ensureIdentity } from '../../../db/operations/node.ts'
import { testDb } from '../../fixtures/test-db.ts'

const log = pino({ level: 'silent' })

t.test(
  'a dispatch with a SKU or an item the API would not take is refused, storing nothing',
  async (t) => {
    const knex = await testDb(t)
    await ensureIdentity(knex, 'Sur')
    const dispatch = (n: number, sku: string, name: string) => ({
      id: `m-${n}`,
      kind: 'transfer.dispatched' as const,
      transferId: `0f8e4c52-9a1b-4d2e-8c3f-5b6a7d8e9f0${n}`,
      createdAt: new Date().toISOString(),
      payload: {
        fromName: 'Norte',
        lines: [{ sku, quantity: 1, item: { name, unit: 'ea' } }],
        reference: '',
        note: '',
      },
    })
    const inbox = async (messages: Payload<'transfers.inbox'>['messages']) => {
      const payload = { from: 'norte-id', fromName: 'Norte', messages }
      const envelope = { v: PROTOCOL_VERSION, id: 'r', op: 'transfers.inbox' as const, payload }
      const [reply] = await runBatch(knex, [{ ...envelope, deadline: Date.now() + 60_000 }], {
        log,
      })
      return reply
    }
    t.match(await inbox([dispatch(1, 'bolt m8', 'Bolt'), dispatch(2, 'BOLT', 'x'.repeat(201))]), {
      ok: true,
      data: {
        results: [
          { id: 'm-1', status: 'refused', code: 'VALIDATION_FAILED' },
          { id: 'm-2', status: 'refused', code: 'VALIDATION_FAILED' },
        ],
      },
    })
    t.same(await knex('items').count({ n: '*' }), [{ n: 0 }])
    t.same(await knex('transfers').count({ n: '*' }), [{ n: 0 }])
    t.match(await inbox([dispatch(3, 'BOLT-M8', 'Bolt')]), {
      data: { results: [{ status: 'applied' }] },
    })
  }
)

t.test(
  'a federated message with a topic or id this node would not make is refused, storing nothing',
  async (t) => {
    const knex = await testDb(t)
    await ensureIdentity(knex, 'Sur')
    const federated = (n: number, topic: string, id: string) => ({
      id: `f-${n}`,
      kind: 'message.federated' as const,
      transferId: 'orders',
      createdAt: new Date().toISOString(),
      payload: { topic, id, body: { n }, headers: {}, publishedAt: new Date().toISOString() },
    })
    const payload = {
      from: 'norte-id',
      fromName: 'Norte',
      messages: [
        federated(1, 'orders*[x]', 'o-1'),
        federated(2, 'orders', 'with space'),
        federated(3, 'orders', 'o-3'),
        // A name this node takes for a topic of its own (api/topics.ts), so one a peer sends.
        federated(4, '_audit.-x', 'o-4'),
      ],
    }
    const envelope = { v: PROTOCOL_VERSION, id: 'r', op: 'transfers.inboxV2' as const, payload }
    const [reply] = await runBatch(knex, [{ ...envelope, deadline: Date.now() + 60_000 }], { log })
    t.match(reply, {
      ok: true,
      data: {
        results: [
          { id: 'f-1', status: 'refused', code: 'VALIDATION_FAILED' },
          { id: 'f-2', status: 'refused', code: 'VALIDATION_FAILED' },
          { id: 'f-3', status: 'applied' },
          { id: 'f-4', status: 'applied' },
        ],
      },
    })
    t.same(
      (await knex('topic_messages').select('topic', 'messageId')).map((m) => [
        m.topic,
        m.messageId,
      ]),
      [
        ['orders', 'norte-id/o-3'],
        ['_audit.-x', 'norte-id/o-4'],
      ]
    )
  }
)
