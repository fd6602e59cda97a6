// An item's unit while it is on a transfer: a transfer counts its goods in the unit the item had
// when they left, and the receiver books them in its own. So a unit cannot change while a transfer
// not yet settled counts the item in another, even where the item has no movements (the receiver,
// until the goods arrive), and a receipt is refused, booking nothing, while the receiver's unit
// differs from the transfer's.
import t from 'tap'
import type { Knex } from 'knex'
import { create as createItem } from '../../../db/operations/items.ts'
import { record } from '../../../db/operations/movements.ts'
import { call, carry, ok, send, side } from '../../fixtures/transfer-sides.ts'

async function pair(t: Parameters<typeof side>[0]) {
  const a = await side(t, 'Norte')
  const b = await side(t, 'Sur')
  await createItem(a.knex, { sku: 'BOLT', name: 'Bolt', unit: 'ea' })
  await record(a.knex, { type: 'receipt', sku: 'BOLT', quantity: 20 })
  return { a, b }
}

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
  'a receipt counted in another unit than the dispatch is refused, booking nothing',
  async (t) => {
    const { a, b } = await pair(t)
    // Sur defined BOLT itself, in boxes, before Norte's dispatch arrived.
    await createItem(b.knex, { sku: 'BOLT', name: 'Bolt (box of 10)', unit: 'box' })
    const sent = await send(a, b, [{ sku: 'BOLT', quantity: 10 }])
    t.match(await carry(a, b), [{ status: 'applied' }], 'the dispatch is a fact: taken')
    t.equal(await unitOf(b.knex), 'box', 'an item Sur has is not overwritten')

    const lines = [{ sku: 'BOLT', received: 10 }]
    const refused = await call(b.knex, 'transfers.receive', { id: sent.id, lines, final: true })
    t.match(refused, {
      ok: false,
      error: {
        code: 'CONFLICT',
        message: new RegExp(
          `^Transfer ${sent.id} counts BOLT in ea \\(its dispatch from Norte\\), but BOLT is counted in box here: nothing was booked`
        ),
        details: [{ path: 'lines.0.sku', message: 'counted in ea by the transfer, in box here' }],
      },
    })
    t.same(await rows(b.knex), [], 'nothing booked in boxes')
    t.match(await ok(b.knex, 'transfers.get', { id: sent.id }), {
      state: 'announced',
      receipts: [],
    })

    const other = await call(b.knex, 'items.update', { sku: 'BOLT', patch: { unit: 'kg' } })
    t.match(other, { ok: false, error: { code: 'CONFLICT', message: /counted in ea/ } })
    t.match(
      await ok(b.knex, 'items.update', { sku: 'BOLT', patch: { unit: 'ea' } }),
      { unit: 'ea' },
      "the transfer's own unit may still be taken"
    )
    await ok(b.knex, 'transfers.receive', { id: sent.id, lines, final: true })
    t.same(await rows(b.knex), [{ type: 'transfer_in', quantity: 10 }])
  }
)

t.test(
  'before the dispatch, a receipt is held to the sender’s unit as replicated here',
  async (t) => {
    const { a, b } = await pair(t)
    await createItem(b.knex, { sku: 'BOLT', name: 'Bolt (box of 10)', unit: 'box' })
    const at = new Date().toISOString()
    await b.knex('replica_items').insert({
      nodeId: a.id,
      sku: 'BOLT',
      name: 'Bolt',
      unit: 'ea',
      createdAt: at,
      updatedAt: at,
    })
    const sent = await send(a, b, [{ sku: 'BOLT', quantity: 10 }])
    const refused = await call(b.knex, 'transfers.receive', {
      id: sent.id,
      from: a.id,
      fromName: 'Norte',
      lines: [{ sku: 'BOLT', received: 10 }],
      final: true,
    })
    t.match(refused, {
      ok: false,
      error: {
        code: 'CONFLICT',
        message:
          /counts BOLT in ea \(Norte's catalogue, as replicated here\), but BOLT is counted in box here/,
      },
    })
    t.same(await rows(b.knex), [])
    t.equal(
      await b
        .knex('transfers')
        .count({ n: '*' })
        .first()
        .then((r) => Number(r?.n)),
      0
    )
  }
)

t.test('dispatches taken together as one run keep their units as well', async (t) => {
  const { a, b } = await pair(t)
  await createItem(b.knex, { sku: 'BOLT', name: 'Bolt (box of 10)', unit: 'box' })
  const first = await send(a, b, [{ sku: 'BOLT', quantity: 4 }])
  const second = await send(a, b, [{ sku: 'BOLT', quantity: 6 }])
  t.match(await carry(a, b), [{ status: 'applied' }, { status: 'applied' }])
  for (const { id } of [first, second]) {
    const lines = [{ sku: 'BOLT', received: 1 }]
    t.match(await call(b.knex, 'transfers.receive', { id, lines, final: false }), {
      ok: false,
      error: { code: 'CONFLICT', message: /counts BOLT in ea .*counted in box here/ },
    })
  }
  t.same(await rows(b.knex), [])
})
