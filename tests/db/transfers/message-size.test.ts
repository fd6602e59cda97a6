// A transfer's messages must fit what a peer reads in one request (MAX_MESSAGE_BYTES): one that
// would not is refused when the step is made, writing nothing, rather than left in the outbox
// where it would block every later message to that peer.
import t from 'tap'
import { pino } from 'pino'
import { runBatch } from '../../../db/batch.ts'
import { PROTOCOL_VERSION, type OpName, type Payload } from '../../../db/contract/index.ts'
import { create as createItem } from '../../../db/operations/items.ts'
import { record } from '../../../db/operations/movements.ts'
import { ensureIdentity } from '../../../db/operations/node.ts'
import { testDb } from '../../fixtures/test-db.ts'

const log = pino({ level: 'silent' })
const call = async <O extends OpName>(
  knex: Parameters<typeof runBatch>[0],
  op: O,
  payload: Payload<O>
) =>
  (
    await runBatch(
      knex,
      [{ v: PROTOCOL_VERSION, id: op, op, payload, deadline: Date.now() + 60_000 }],
      { log }
    )
  )[0]

t.test(
  'a dispatch too big for one message is refused, naming its size, and writes nothing',
  async (t) => {
    const knex = await testDb(t)
    await ensureIdentity(knex, 'Norte')
    const lines = []
    for (let i = 0; i < 80; i++) {
      const sku = `LONG-${i}`
      await createItem(knex, { sku, name: `Item ${i}`, unit: 'ea', description: 'x'.repeat(1000) })
      await record(knex, { type: 'receipt', sku, quantity: 5 })
      lines.push({ sku, quantity: 1 })
    }
    const too = await call(knex, 'transfers.create', { to: 'peer-id', toName: 'Sur', lines })
    t.match(too, {
      ok: false,
      error: {
        code: 'VALIDATION_FAILED',
        message: /dispatched message would be \d+ KiB, more than the 60 KiB.*split the lines/,
      },
    })
    t.same(await knex('transfers').count({ n: '*' }), [{ n: 0 }])
    t.same(await knex('outbox').count({ n: '*' }), [{ n: 0 }])
    t.same(await knex('movements').where({ type: 'transfer_out' }).count({ n: '*' }), [{ n: 0 }])

    const fits = await call(knex, 'transfers.create', {
      to: 'peer-id',
      toName: 'Sur',
      lines: lines.slice(0, 40),
    })
    t.match(fits, { ok: true, data: { state: 'in_transit' } })
  }
)
