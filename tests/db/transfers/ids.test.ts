// A receipt before the dispatch names its transfer by the id on the delivery note: only an id
// a sender could have made (a UUID) opens a record, so a typo cannot leave a transfer that no
// dispatch will ever announce.
import t from 'tap'
import { pino } from 'pino'
import { runBatch } from '../../../db/batch.ts'
import { PROTOCOL_VERSION, type Payload } from '../../../db/contract/index.ts'
import { create as createItem } from '../../../db/operations/items.ts'
import { ensureIdentity } from '../../../db/operations/node.ts'
import { testDb } from '../../fixtures/test-db.ts'

const log = pino({ level: 'silent' })

t.test('a receipt before the dispatch needs a transfer id a sender makes', async (t) => {
  const knex = await testDb(t)
  await ensureIdentity(knex, 'Sur')
  await createItem(knex, { sku: 'ROPE', name: 'Rope', unit: 'm' })
  const receive = async (id: string) => {
    const payload: Payload<'transfers.receive'> = {
      id,
      from: 'norte-id',
      fromName: 'Norte',
      lines: [{ sku: 'ROPE', received: 1 }],
      final: true,
    }
    const envelope = { v: PROTOCOL_VERSION, id: 'r', op: 'transfers.receive' as const, payload }
    const [reply] = await runBatch(knex, [{ ...envelope, deadline: Date.now() + 60_000 }], { log })
    return reply
  }
  t.match(await receive('a/b'), {
    ok: false,
    error: {
      code: 'VALIDATION_FAILED',
      message: /a\/b is not a transfer id .* check the delivery note/,
    },
  })
  t.same(await knex('transfers').count({ n: '*' }), [{ n: 0 }], 'nothing recorded')
  t.match(await receive('0f8e4c52-9a1b-4d2e-8c3f-5b6a7d8e9f01'), {
    ok: true,
    data: { state: 'unannounced' },
  })
})
