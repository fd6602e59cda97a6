import t from 'tap'
import type { Knex } from 'knex'
import { create } from '../../../db/operations/items.ts'
import { record } from '../../../db/operations/movements.ts'
import { figures, get, list } from '../../../db/operations/stock.ts'
import { testDb } from '../../fixtures/test-db.ts'

/** Items A..G with reorder points and stock chosen around the low threshold. */
async function shelves(knex: Knex) {
  const rows: [string, number | null, number][] = [
    ['A', 5, 10], // above its reorder point
    ['B', 5, 5], // exactly at it: low
    ['C', 5, 2], // below it: low
    ['D', null, 0], // nothing on hand, but no reorder point: never low
    ['E', 0, 1],
    ['F', 100, 0], // never received: low
    ['G', 0, 0], // a reorder point of zero, and nothing on hand: low
  ]
  for (const [sku, reorderPoint, received] of rows) {
    await create(knex, { sku, name: `Item ${sku}`, unit: 'ea', reorderPoint })
    if (received > 0) await record(knex, { type: 'receipt', sku, quantity: received })
  }
}

t.test('stock.get reports on hand, the reorder point and the last movement', async (t) => {
  const knex = await testDb(t)
  await create(knex, { sku: 'BOLT-M8', name: 'Bolt M8', unit: 'ea', reorderPoint: 5 })
  await record(knex, { type: 'receipt', sku: 'BOLT-M8', quantity: 12 })
  const issue = await record(knex, { type: 'issue', sku: 'BOLT-M8', quantity: 4 })
  t.same(await get(knex, { sku: 'BOLT-M8' }), {
    sku: 'BOLT-M8',
    name: 'Bolt M8',
    unit: 'ea',
    reorderPoint: 5,
    onHand: 8,
    inTransit: 0,
    sent: 0,
    received: 0,
    lastSeq: 2,
    updatedAt: issue.createdAt,
    low: false,
  })
})

t.test('stock.get of an item never moved shows zero and no last movement', async (t) => {
  const knex = await testDb(t)
  await create(knex, { sku: 'BOLT-M8', name: 'Bolt M8', unit: 'ea', reorderPoint: 0 })
  t.match(await get(knex, { sku: 'BOLT-M8' }), { onHand: 0, lastSeq: null, low: true })
})

t.test('an item without a reorder point is never low, even with nothing on hand', async (t) => {
  const knex = await testDb(t)
  await create(knex, { sku: 'BOLT-M8', name: 'Bolt M8', unit: 'ea' })
  t.match(await get(knex, { sku: 'BOLT-M8' }), { onHand: 0, reorderPoint: null, low: false })
  t.same((await list(knex, { limit: 50, low: true })).stock, [])
})

t.test('stock.get of an unknown SKU is refused with NOT_FOUND', async (t) => {
  const knex = await testDb(t)
  await t.rejects(get(knex, { sku: 'GHOST' }), { code: 'NOT_FOUND', message: /GHOST/ })
})

t.test('stock.list lists every item in SKU order, marking the low ones', async (t) => {
  const knex = await testDb(t)
  await shelves(knex)
  const { stock, nextCursor } = await list(knex, { limit: 50 })
  t.same(
    stock.map((s) => [s.sku, s.onHand, s.low]),
    [
      ['A', 10, false],
      ['B', 5, true],
      ['C', 2, true],
      ['D', 0, false],
      ['E', 1, false],
      ['F', 0, true],
      ['G', 0, true],
    ]
  )
  t.equal(nextCursor, null)
})

t.test('stock.list with low keeps the items at or below their reorder point', async (t) => {
  const knex = await testDb(t)
  await shelves(knex)
  const { stock } = await list(knex, { limit: 50, low: true })
  t.same(
    stock.map((s) => s.sku),
    ['B', 'C', 'F', 'G']
  )
  t.ok(stock.every((s) => s.low))
  t.same(
    (await list(knex, { limit: 50, low: false })).stock.length,
    7,
    'low: false does not filter'
  )
})

t.test('stock.list pages with a cursor, with or without the low filter', async (t) => {
  const knex = await testDb(t)
  await shelves(knex)
  const walk = async (low: boolean) => {
    const pages: string[][] = []
    let cursor: string | undefined
    do {
      const page = await list(knex, { limit: 2, low, cursor })
      pages.push(page.stock.map((s) => s.sku))
      cursor = page.nextCursor ?? undefined
    } while (cursor)
    return pages
  }
  t.same(await walk(false), [['A', 'B'], ['C', 'D'], ['E', 'F'], ['G']])
  t.same(await walk(true), [
    ['B', 'C'],
    ['F', 'G'],
  ])
})

t.test('stock.list refuses a cursor it did not give out', async (t) => {
  const knex = await testDb(t)
  await t.rejects(list(knex, { limit: 2, cursor: '%%%' }), { code: 'BAD_REQUEST' })
})

t.test(
  'stock.figures gives the SKUs asked, or the low ones, with the ledger head they project',
  async (t) => {
    const knex = await testDb(t)
    t.same(
      await figures(knex, { limit: 10 }),
      { figures: [], ledger: { seq: 0, hash: '0'.repeat(64) }, truncated: false },
      'an empty warehouse: no figures, and the genesis head'
    )
    await shelves(knex)
    const last = await record(knex, { type: 'issue', sku: 'A', quantity: 1 })
    const all = await figures(knex, { limit: 10 })
    t.same(all.ledger, { seq: last.seq, hash: last.hash })
    t.same(all.figures[0], {
      sku: 'A',
      name: 'Item A',
      unit: 'ea',
      onHand: 9,
      inTransit: 0,
      sent: 0,
      received: 0,
      reorderPoint: 5,
    })
    t.same(
      all.figures.map((f) => f.sku),
      ['A', 'B', 'C', 'D', 'E', 'F', 'G']
    )
    const some = await figures(knex, { skus: ['G', 'C', 'NOPE'], limit: 10 })
    t.same(
      some.figures.map((f) => f.sku),
      ['C', 'G'],
      'unknown SKUs are simply absent'
    )
    const low = await figures(knex, { low: true, limit: 10 })
    t.same(
      low.figures.map((f) => f.sku),
      ['B', 'C', 'F', 'G']
    )
    const lowOfSome = await figures(knex, { skus: ['A', 'B'], low: true, limit: 10 })
    t.same(
      lowOfSome.figures.map((f) => f.sku),
      ['B']
    )
    const cut = await figures(knex, { limit: 3 })
    t.same(
      cut.figures.map((f) => f.sku),
      ['A', 'B', 'C']
    )
    t.equal(cut.truncated, true, 'says when more matched than the limit')
  }
)
