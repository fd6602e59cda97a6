// An item's unit while it is on a transfer: a transfer counts its goods in the unit the item had
// when they left, and the receiver books them in its own. So a unit cannot change while a transfer
// not yet settled counts the item in another, even where the item has no movements (the receiver,
// until the goods arrive). Warehouses may count one SKU in different units (GET /network/items
// ?unitsDiffer=true lists them): a receipt is booked in the receiver's unit, never refused for it,
// since both may have movements and neither could then change.
import t from 'tap'
import type { Knex } from 'knex'
import { create as createItem } from '../../../db/operations/items.ts'
import { record } from '../../../db/operations/movements.ts'
import { call, carry, norteAndSur, ok, send } from '../../fixtures/transfer-sides.ts'

/** Norte, holding 20 BOLT in ea, and Sur. */
const pair = (t: Parameters<typeof norteAndSur>[0]) =>
  norteAndSur(t, { sku: 'BOLT', name: 'Bolt', unit: 'ea', quantity: 20 })

const rows = (knex: Knex) => knex('movements').where({ sku: 'BOLT' }).select('type', 'quantity')
const unitOf = async (knex: Knex) => (await ok(knex, 'items.get', { sku: 'BOLT' })).unit
const importUnit = (knex: Knex, unit: string) =>
  call(knex, 'items.import', {
    lines: [{ line: 2, item: { sku: 'BOLT', name: 'Bolt', unit } }],
    mode: 'all',
    existing: 'update',
  })

t.test(
  'an item learnt from a dispatch keeps its unit at the receiver until the goods are received',
  async (t) => {
    const { a, b } = await pair(t)
    const sent = await send(a, b, [{ sku: 'BOLT', quantity: 10 }])
    t.match(await carry(a, b), [{ status: 'applied' }])
    t.equal(await unitOf(b.knex), 'ea', 'learnt from the dispatch')
    t.same(await rows(b.knex), [], 'no movements of it here yet')

    const patched = await call(b.knex, 'items.update', { sku: 'BOLT', patch: { unit: 'box' } })
    t.match(patched, {
      ok: false,
      error: {
        code: 'CONFLICT',
        message: `The unit of BOLT cannot change from ea to box: it is on transfer ${sent.id} from Norte (counted in ea), which is not yet settled`,
        details: [{ path: 'unit', message: /transfer not yet settled/ }],
      },
    })
    t.match(await importUnit(b.knex, 'box'), {
      ok: false,
      error: { code: 'CONFLICT', message: new RegExp(`line 2: .*on transfer ${sent.id}`) },
    })
    t.equal(await unitOf(b.knex), 'ea', 'nothing changed')

    await ok(b.knex, 'transfers.receive', {
      id: sent.id,
      lines: [{ sku: 'BOLT', received: 10 }],
      final: true,
    })
    t.same(await rows(b.knex), [{ type: 'transfer_in', quantity: 10 }], 'booked as sent: 10 ea')
  }
)

t.test('a rejected transfer no longer holds the receiver’s unit', async (t) => {
  const { a, b } = await pair(t)
  const sent = await send(a, b, [{ sku: 'BOLT', quantity: 10 }])
  await carry(a, b)
  await ok(b.knex, 'transfers.reject', { id: sent.id, reason: 'not ordered' })
  t.match(await ok(b.knex, 'items.update', { sku: 'BOLT', patch: { unit: 'box' } }), {
    unit: 'box',
  })
})

t.test(
  'a receiver whose unit differs may take the transfer’s, and no other while it is on the road',
  async (t) => {
    const { a, b } = await pair(t)
    // Sur defined BOLT itself, in boxes, before Norte's dispatch arrived.
    await createItem(b.knex, { sku: 'BOLT', name: 'Bolt (box of 10)', unit: 'box' })
    const sent = await send(a, b, [{ sku: 'BOLT', quantity: 10 }])
    t.match(await carry(a, b), [{ status: 'applied' }], 'the dispatch is a fact: taken')
    t.equal(await unitOf(b.knex), 'box', 'an item Sur has is not overwritten')
    const other = await call(b.knex, 'items.update', { sku: 'BOLT', patch: { unit: 'kg' } })
    t.match(other, {
      ok: false,
      error: { code: 'CONFLICT', message: new RegExp(`on transfer ${sent.id} .*counted in ea`) },
    })
    t.match(
      await ok(b.knex, 'items.update', { sku: 'BOLT', patch: { unit: 'ea' } }),
      { unit: 'ea' },
      "the transfer's own unit may be taken"
    )
    const lines = [{ sku: 'BOLT', received: 10 }]
    await ok(b.knex, 'transfers.receive', { id: sent.id, lines, final: true })
    t.same(await rows(b.knex), [{ type: 'transfer_in', quantity: 10 }])
  }
)

t.test(
  'a receiver that counts the item in its own unit, with movements, still books the goods',
  async (t) => {
    // Both have history in their own unit: neither may change it, so a refusal would leave the
    // goods unbooked for ever and the sender's transit open.
    const { a, b } = await pair(t)
    await createItem(b.knex, { sku: 'BOLT', name: 'Bolt', unit: 'pcs' })
    await record(b.knex, { type: 'receipt', sku: 'BOLT', quantity: 1 })
    const sent = await send(a, b, [{ sku: 'BOLT', quantity: 10 }])
    await carry(a, b)
    const lines = [{ sku: 'BOLT', received: 10 }]
    await ok(b.knex, 'transfers.receive', { id: sent.id, lines, final: true })
    t.same(await rows(b.knex), [
      { type: 'receipt', quantity: 1 },
      { type: 'transfer_in', quantity: 10 },
    ])
  }
)

t.test('dispatches taken together as one run keep their units as well', async (t) => {
  const { a, b } = await pair(t)
  await createItem(b.knex, { sku: 'BOLT', name: 'Bolt (box of 10)', unit: 'box' })
  const first = await send(a, b, [{ sku: 'BOLT', quantity: 4 }])
  const second = await send(a, b, [{ sku: 'BOLT', quantity: 6 }])
  t.match(await carry(a, b), [{ status: 'applied' }, { status: 'applied' }])
  const other = await call(b.knex, 'items.update', { sku: 'BOLT', patch: { unit: 'kg' } })
  // Both named, in either order: two made in one millisecond are listed by id.
  t.match(other, { ok: false, error: { code: 'CONFLICT', message: /it is on transfers / } })
  for (const { id } of [first, second]) {
    t.match(other, { error: { message: new RegExp(`${id} from Norte \\(counted in ea\\)`) } })
  }
})
