import t from 'tap'
import type { Knex } from 'knex'
import { create, get, likePattern, list, update } from '../../../db/operations/items.ts'
import { record } from '../../../db/operations/movements.ts'
import { testDb } from '../../fixtures/test-db.ts'

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/

async function skusOfAllPages(knex: Knex, query: { limit: number; search?: string }) {
  const pages: string[][] = []
  let cursor: string | undefined
  do {
    const page = await list(knex, { ...query, cursor })
    pages.push(page.items.map((item) => item.sku))
    cursor = page.nextCursor ?? undefined
  } while (cursor)
  return pages
}

t.test(
  'creates an item with an empty description and no reorder point (null) by default',
  async (t) => {
    const knex = await testDb(t)
    const item = await create(knex, { sku: 'BOLT-M8', name: 'Bolt M8', unit: 'ea' })
    t.match(item, {
      sku: 'BOLT-M8',
      name: 'Bolt M8',
      unit: 'ea',
      description: '',
      reorderPoint: null,
      createdAt: ISO,
    })
    t.equal(item.updatedAt, item.createdAt)
    t.same(await get(knex, { sku: 'BOLT-M8' }), item, 'what was returned is what was stored')
    t.match(await knex('balances').where({ sku: 'BOLT-M8' }).first(), { onHand: 0, lastSeq: null })
  }
)

t.test('keeps a given description and reorder point', async (t) => {
  const knex = await testDb(t)
  await create(knex, {
    sku: 'NUT-M8',
    name: 'Nut M8',
    unit: 'ea',
    description: 'zinc plated',
    reorderPoint: 50,
  })
  t.match(await get(knex, { sku: 'NUT-M8' }), { description: 'zinc plated', reorderPoint: 50 })
})

t.test('refuses a second item with the same SKU and keeps the first', async (t) => {
  const knex = await testDb(t)
  await create(knex, { sku: 'BOLT-M8', name: 'Bolt M8', unit: 'ea' })
  await t.rejects(create(knex, { sku: 'BOLT-M8', name: 'Other', unit: 'kg' }), {
    code: 'CONFLICT',
    message: /BOLT-M8/,
    details: [{ path: 'sku', message: 'already exists' }],
  })
  t.match(await get(knex, { sku: 'BOLT-M8' }), { name: 'Bolt M8', unit: 'ea' })
})

t.test('getting an unknown SKU is refused with NOT_FOUND naming it', async (t) => {
  const knex = await testDb(t)
  await t.rejects(get(knex, { sku: 'GHOST' }), {
    code: 'NOT_FOUND',
    message: 'No item with SKU GHOST',
    details: [{ path: 'sku' }],
  })
})

t.test('an update patches only the given fields and moves updatedAt', async (t) => {
  const knex = await testDb(t)
  const before = await create(knex, {
    sku: 'BOLT-M8',
    name: 'Bolt M8',
    unit: 'ea',
    description: 'steel',
    reorderPoint: 5,
  })
  await new Promise((resolve) => setTimeout(resolve, 5))
  const after = await update(knex, {
    sku: 'BOLT-M8',
    patch: { name: 'Bolt M8x40', reorderPoint: 20 },
  })
  t.match(after, { sku: 'BOLT-M8', name: 'Bolt M8x40', unit: 'ea', description: 'steel' })
  t.equal(after.reorderPoint, 20)
  t.equal(after.createdAt, before.createdAt)
  t.ok(after.updatedAt > before.updatedAt, 'updatedAt moves forward')
  t.same(await get(knex, { sku: 'BOLT-M8' }), after, 'the result is what was stored')
})

t.test('an update of an unknown SKU is refused with NOT_FOUND', async (t) => {
  const knex = await testDb(t)
  await t.rejects(update(knex, { sku: 'GHOST', patch: { name: 'x' } }), { code: 'NOT_FOUND' })
})

t.test('the unit can change before the first movement', async (t) => {
  const knex = await testDb(t)
  await create(knex, { sku: 'ROPE', name: 'Rope', unit: 'm' })
  t.match(await update(knex, { sku: 'ROPE', patch: { unit: 'cm' } }), { unit: 'cm' })
  t.match(await get(knex, { sku: 'ROPE' }), { unit: 'cm' })
})

t.test('the unit cannot change once the item has movements', async (t) => {
  const knex = await testDb(t)
  await create(knex, { sku: 'ROPE', name: 'Rope', unit: 'm' })
  await record(knex, { type: 'receipt', sku: 'ROPE', quantity: 100 })
  await t.rejects(update(knex, { sku: 'ROPE', patch: { unit: 'cm', name: 'Cord' } }), {
    code: 'CONFLICT',
    message: /ROPE.*from m to cm/,
    details: [{ path: 'unit' }],
  })
  t.match(await get(knex, { sku: 'ROPE' }), { unit: 'm', name: 'Rope' }, 'nothing changed')
  t.match(
    await update(knex, { sku: 'ROPE', patch: { unit: 'm', name: 'Cord' } }),
    { unit: 'm', name: 'Cord' },
    'restating the same unit is not a change'
  )
})

t.test('a reorder point set to null is removed, and zero stays zero', async (t) => {
  const knex = await testDb(t)
  await create(knex, { sku: 'BOLT-M8', name: 'Bolt M8', unit: 'ea', reorderPoint: 5 })
  t.match(await update(knex, { sku: 'BOLT-M8', patch: { reorderPoint: null } }), {
    reorderPoint: null,
  })
  t.match(await get(knex, { sku: 'BOLT-M8' }), { reorderPoint: null })
  await update(knex, { sku: 'BOLT-M8', patch: { reorderPoint: 0 } })
  t.match(await get(knex, { sku: 'BOLT-M8' }), { reorderPoint: 0 })
})

t.test('a patch field given as undefined leaves the stored value alone', async (t) => {
  const knex = await testDb(t)
  await create(knex, { sku: 'BOLT-M8', name: 'Bolt M8', unit: 'ea' })
  const after = await update(knex, { sku: 'BOLT-M8', patch: { name: undefined, reorderPoint: 3 } })
  t.match(after, { name: 'Bolt M8', reorderPoint: 3 })
  t.same(await get(knex, { sku: 'BOLT-M8' }), after)
})

t.test('a patch cannot change the SKU or the creation time', async (t) => {
  const knex = await testDb(t)
  const before = await create(knex, { sku: 'BOLT-M8', name: 'Bolt M8', unit: 'ea' })
  const patch = { name: 'Bolt', sku: 'STOLEN', createdAt: '1999-01-01T00:00:00.000Z' }
  const after = await update(knex, { sku: 'BOLT-M8', patch })
  t.match(after, { sku: 'BOLT-M8', name: 'Bolt', createdAt: before.createdAt })
  t.same(
    (await knex('items').select('sku')).map((row) => row.sku),
    ['BOLT-M8']
  )
  t.same(await get(knex, { sku: 'BOLT-M8' }), after)
})

t.test('lists items in SKU order', async (t) => {
  const knex = await testDb(t)
  for (const sku of ['C-3', 'A-1', 'B-2']) await create(knex, { sku, name: sku, unit: 'ea' })
  const page = await list(knex, { limit: 10 })
  t.same(
    page.items.map((item) => item.sku),
    ['A-1', 'B-2', 'C-3']
  )
  t.equal(page.nextCursor, null)
})

t.test('searches SKU, name and description, ignoring case', async (t) => {
  const knex = await testDb(t)
  await create(knex, { sku: 'BOLT-M8', name: 'Hex bolt', unit: 'ea' })
  await create(knex, { sku: 'NUT-M8', name: 'Hex nut', unit: 'ea' })
  await create(knex, { sku: 'WASHER', name: 'Washer', unit: 'ea', description: 'fits a BOLT' })
  const found = async (search: string) =>
    (await list(knex, { limit: 10, search })).items.map((item) => item.sku)
  t.same(await found('bolt'), ['BOLT-M8', 'WASHER'])
  t.same(await found('HEX'), ['BOLT-M8', 'NUT-M8'])
  t.same(await found('m8'), ['BOLT-M8', 'NUT-M8'])
  t.same(await found('nothing like it'), [])
})

t.test('LIKE wildcards in a search are literal characters', async (t) => {
  const knex = await testDb(t)
  await create(knex, { sku: 'PAINT-50', name: 'Paint 50% off', unit: 'l' })
  await create(knex, { sku: 'PAINT-500', name: 'Paint 500', unit: 'l' })
  await create(knex, { sku: 'PIPE_10', name: 'Pipe', unit: 'm' })
  await create(knex, { sku: 'PIPE-10', name: 'Pipe', unit: 'm' })
  await create(knex, { sku: 'SLASH', name: 'Back\\slash', unit: 'ea' })
  const found = async (search: string) =>
    (await list(knex, { limit: 10, search })).items.map((item) => item.sku)
  t.same(await found('50%'), ['PAINT-50'])
  t.same(await found('%'), ['PAINT-50'])
  t.same(await found('E_1'), ['PIPE_10'])
  t.same(await found('_'), ['PIPE_10'])
  t.same(await found('\\'), ['SLASH'])
  t.equal(likePattern('50%_\\'), '%50\\%\\_\\\\%')
})

t.test('cursor paging walks every item once, with no duplicates or gaps', async (t) => {
  const knex = await testDb(t)
  const skus = Array.from({ length: 23 }, (_, i) => `SKU-${String(i).padStart(2, '0')}`)
  for (const sku of [...skus].reverse()) await create(knex, { sku, name: sku, unit: 'ea' })
  const pages = await skusOfAllPages(knex, { limit: 5 })
  t.same(
    pages.map((page) => page.length),
    [5, 5, 5, 5, 3]
  )
  t.same(pages.flat(), skus)
})

t.test('a page that ends exactly at the last item has no next cursor', async (t) => {
  const knex = await testDb(t)
  for (const sku of ['A', 'B', 'C', 'D']) await create(knex, { sku, name: sku, unit: 'ea' })
  t.same(await skusOfAllPages(knex, { limit: 2 }), [
    ['A', 'B'],
    ['C', 'D'],
  ])
})

t.test('paging combines with a search', async (t) => {
  const knex = await testDb(t)
  for (const sku of ['BOLT-1', 'NUT-1', 'BOLT-2', 'NUT-2', 'BOLT-3']) {
    await create(knex, { sku, name: sku, unit: 'ea' })
  }
  t.same(await skusOfAllPages(knex, { limit: 2, search: 'bolt' }), [
    ['BOLT-1', 'BOLT-2'],
    ['BOLT-3'],
  ])
})

t.test('a cursor this node did not give out is refused with BAD_REQUEST', async (t) => {
  const knex = await testDb(t)
  await create(knex, { sku: 'A', name: 'A', unit: 'ea' })
  for (const cursor of ['not a cursor', Buffer.from('{"p":7}').toString('base64url')]) {
    await t.rejects(list(knex, { limit: 5, cursor }), {
      code: 'BAD_REQUEST',
      details: [{ path: 'cursor' }],
    })
  }
})
