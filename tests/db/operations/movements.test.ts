import t from 'tap'
import type { Knex } from 'knex'
import type { Movement, MovementFilter } from '../../../db/contract/index.ts'
import { GENESIS_HASH, hashMovement } from '../../../db/ledger/hash.ts'
import { create } from '../../../db/operations/items.ts'
import { verify } from '../../../db/operations/ledger.ts'
import { list, record } from '../../../db/operations/movements.ts'
import { ensureIdentity } from '../../../db/operations/node.ts'
import { testDb } from '../../fixtures/test-db.ts'

async function withBolts(t: Parameters<typeof testDb>[0], onHand = 0): Promise<Knex> {
  const knex = await testDb(t)
  await ensureIdentity(knex, 'Madrid Norte')
  await create(knex, { sku: 'BOLT-M8', name: 'Bolt M8', unit: 'ea' })
  if (onHand > 0) await record(knex, { type: 'receipt', sku: 'BOLT-M8', quantity: onHand })
  return knex
}

async function onHand(knex: Knex, sku = 'BOLT-M8'): Promise<number> {
  return (await knex('balances').where({ sku }).first('onHand')).onHand
}

async function movementCount(knex: Knex): Promise<number> {
  return Number((await knex('movements').count({ n: '*' }).first())?.n)
}

t.test('a receipt adds its quantity and is the first link of the chain', async (t) => {
  const knex = await withBolts(t)
  const movement = await record(knex, {
    type: 'receipt',
    sku: 'BOLT-M8',
    quantity: 40,
    reference: 'PO-1001',
    note: 'from Acme',
  })
  t.match(movement, {
    seq: 1,
    type: 'receipt',
    sku: 'BOLT-M8',
    quantity: 40,
    delta: 40,
    countedQuantity: null,
    balanceAfter: 40,
    reference: 'PO-1001',
    note: 'from Acme',
    prevHash: GENESIS_HASH,
    hash: /^[0-9a-f]{64}$/,
  })
  const { hash, ...fields } = movement
  t.equal(hash, hashMovement(fields))
  t.same(await knex('movements').where({ seq: 1 }).first(), movement, 'stored as returned')
  t.match(await knex('balances').where({ sku: 'BOLT-M8' }).first(), {
    onHand: 40,
    lastSeq: 1,
    updatedAt: movement.createdAt,
  })
})

t.test('an issue takes its quantity off with a negative delta', async (t) => {
  const knex = await withBolts(t, 40)
  t.match(await record(knex, { type: 'issue', sku: 'BOLT-M8', quantity: 15 }), {
    seq: 2,
    type: 'issue',
    quantity: 15,
    delta: -15,
    balanceAfter: 25,
    reference: '',
    note: '',
  })
  t.equal(await onHand(knex), 25)
})

t.test('an issue of everything on hand leaves zero', async (t) => {
  const knex = await withBolts(t, 7)
  t.match(await record(knex, { type: 'issue', sku: 'BOLT-M8', quantity: 7 }), { balanceAfter: 0 })
  t.equal(await onHand(knex), 0)
})

t.test('an adjustment by counted quantity moves on hand to the count', async (t) => {
  const knex = await withBolts(t, 40)
  t.match(await record(knex, { type: 'adjustment', sku: 'BOLT-M8', countedQuantity: 37 }), {
    type: 'adjustment',
    quantity: 3,
    delta: -3,
    countedQuantity: 37,
    balanceAfter: 37,
  })
  t.match(await record(knex, { type: 'adjustment', sku: 'BOLT-M8', countedQuantity: 50 }), {
    quantity: 13,
    delta: 13,
    countedQuantity: 50,
    balanceAfter: 50,
  })
  t.equal(await onHand(knex), 50)
})

t.test('a count equal to what is on hand is recorded with a delta of zero', async (t) => {
  const knex = await withBolts(t, 40)
  const movement = await record(knex, { type: 'adjustment', sku: 'BOLT-M8', countedQuantity: 40 })
  t.match(movement, { seq: 2, quantity: 0, delta: 0, countedQuantity: 40, balanceAfter: 40 })
  t.match(await knex('balances').where({ sku: 'BOLT-M8' }).first(), { onHand: 40, lastSeq: 2 })
})

t.test('a count of zero empties the shelf', async (t) => {
  const knex = await withBolts(t, 40)
  t.match(await record(knex, { type: 'adjustment', sku: 'BOLT-M8', countedQuantity: 0 }), {
    delta: -40,
    balanceAfter: 0,
  })
})

t.test('an adjustment by a signed delta applies it', async (t) => {
  const knex = await withBolts(t, 40)
  t.match(await record(knex, { type: 'adjustment', sku: 'BOLT-M8', delta: -4 }), {
    quantity: 4,
    delta: -4,
    countedQuantity: null,
    balanceAfter: 36,
  })
  t.match(await record(knex, { type: 'adjustment', sku: 'BOLT-M8', delta: 10 }), {
    quantity: 10,
    delta: 10,
    balanceAfter: 46,
  })
  t.equal(await onHand(knex), 46)
})

t.test('seq is contiguous across SKUs and each row links to the one before', async (t) => {
  const knex = await withBolts(t)
  await create(knex, { sku: 'NUT-M8', name: 'Nut M8', unit: 'ea' })
  const written: Movement[] = []
  written.push(await record(knex, { type: 'receipt', sku: 'BOLT-M8', quantity: 5 }))
  written.push(await record(knex, { type: 'receipt', sku: 'NUT-M8', quantity: 9 }))
  written.push(await record(knex, { type: 'issue', sku: 'BOLT-M8', quantity: 2 }))
  written.push(await record(knex, { type: 'adjustment', sku: 'NUT-M8', delta: -1 }))
  t.same(
    written.map((m) => m.seq),
    [1, 2, 3, 4]
  )
  t.same(
    written.map((m) => m.prevHash),
    [GENESIS_HASH, ...written.slice(0, -1).map((m) => m.hash)]
  )
  t.same(
    written.map((m) => m.balanceAfter),
    [5, 9, 3, 8],
    'balanceAfter is per SKU'
  )
  t.equal(new Set(written.map((m) => m.hash)).size, 4)
  t.match(await verify(knex), { ok: true, differences: [] })
})

t.test(
  'an issue beyond on hand is refused with the item, the warehouse and the shortfall',
  async (t) => {
    const knex = await withBolts(t, 10)
    const before = await knex('movements').select()
    await t.rejects(record(knex, { type: 'issue', sku: 'BOLT-M8', quantity: 15 }), {
      name: 'DomainError',
      code: 'INSUFFICIENT_STOCK',
      message: 'Cannot issue 15 ea of BOLT-M8 in Madrid Norte: only 10 ea on hand, short by 5',
      details: {
        sku: 'BOLT-M8',
        warehouse: 'Madrid Norte',
        onHand: 10,
        requested: 15,
        shortfall: 5,
      },
    })
    t.same(await knex('movements').select(), before, 'no movement was written')
    t.match(await knex('balances').where({ sku: 'BOLT-M8' }).first(), { onHand: 10, lastSeq: 1 })
  }
)

t.test('an issue from an empty shelf is refused', async (t) => {
  const knex = await withBolts(t)
  await t.rejects(record(knex, { type: 'issue', sku: 'BOLT-M8', quantity: 1 }), {
    code: 'INSUFFICIENT_STOCK',
    details: { onHand: 0, shortfall: 1 },
  })
  t.equal(await movementCount(knex), 0)
})

t.test('the refusal names a default warehouse when the node has no name yet', async (t) => {
  const knex = await testDb(t)
  await create(knex, { sku: 'BOLT-M8', name: 'Bolt M8', unit: 'ea' })
  await t.rejects(record(knex, { type: 'issue', sku: 'BOLT-M8', quantity: 1 }), {
    code: 'INSUFFICIENT_STOCK',
    message: /in this warehouse/,
  })
})

t.test('a negative delta beyond on hand is refused and writes nothing', async (t) => {
  const knex = await withBolts(t, 10)
  await t.rejects(record(knex, { type: 'adjustment', sku: 'BOLT-M8', delta: -12 }), {
    code: 'INSUFFICIENT_STOCK',
    message: 'Cannot adjust BOLT-M8 by -12 ea in Madrid Norte: only 10 ea on hand, short by 2',
    details: { sku: 'BOLT-M8', warehouse: 'Madrid Norte', onHand: 10, requested: 12, shortfall: 2 },
  })
  t.equal(await movementCount(knex), 1)
  t.equal(await onHand(knex), 10)
})

t.test('a movement for an unknown SKU is refused with NOT_FOUND and writes nothing', async (t) => {
  const knex = await withBolts(t)
  await t.rejects(record(knex, { type: 'receipt', sku: 'GHOST', quantity: 1 }), {
    code: 'NOT_FOUND',
    message: /GHOST/,
    details: [{ path: 'sku' }],
  })
  t.equal(await movementCount(knex), 0)
})

t.test(
  'a count is an adjustment made by counting: filtered as one, and among the adjustments',
  async (t) => {
    const knex = await withBolts(t)
    await record(knex, { type: 'receipt', sku: 'BOLT-M8', quantity: 10 })
    await record(knex, { type: 'adjustment', sku: 'BOLT-M8', countedQuantity: 8 })
    await record(knex, { type: 'adjustment', sku: 'BOLT-M8', delta: -1 })
    const seqs = async (type: string) =>
      (await list(knex, { limit: 100, type })).movements.map((m) => m.seq)
    t.same(await seqs('count'), [2])
    t.same(await seqs('adjustment'), [3, 2])
  }
)

t.test('movements.list', async (t) => {
  const knex = await withBolts(t)
  await create(knex, { sku: 'NUT-M8', name: 'Nut M8', unit: 'ea' })
  const sleep = () => new Promise((resolve) => setTimeout(resolve, 3))
  const all: Movement[] = []
  const add = async (m: Parameters<typeof record>[1]) => {
    all.push(await record(knex, m))
    await sleep()
  }
  await add({ type: 'receipt', sku: 'BOLT-M8', quantity: 10 })
  await add({ type: 'receipt', sku: 'NUT-M8', quantity: 10 })
  await add({ type: 'issue', sku: 'BOLT-M8', quantity: 1 })
  await add({ type: 'issue', sku: 'NUT-M8', quantity: 2 })
  await add({ type: 'adjustment', sku: 'BOLT-M8', countedQuantity: 8 })
  await add({ type: 'receipt', sku: 'BOLT-M8', quantity: 3 })
  const seqs = async (filter: Partial<MovementFilter>) =>
    (await list(knex, { limit: 100, ...filter })).movements.map((m) => m.seq)

  t.test('lists newest first by default, or oldest first', async (t) => {
    t.same(await seqs({}), [6, 5, 4, 3, 2, 1])
    t.same(await seqs({ order: 'asc' }), [1, 2, 3, 4, 5, 6])
    t.same((await list(knex, { limit: 1 })).movements, [all[5]], 'rows are whole movements')
  })

  t.test('filters by SKU and by type, together too', async (t) => {
    t.same(await seqs({ sku: 'NUT-M8' }), [4, 2])
    t.same(await seqs({ type: 'receipt' }), [6, 2, 1])
    t.same(await seqs({ sku: 'BOLT-M8', type: 'receipt' }), [6, 1])
    t.same(await seqs({ sku: 'GHOST' }), [])
  })

  t.test('filters by time, from inclusive and to exclusive', async (t) => {
    t.same(await seqs({ from: all[2].createdAt }), [6, 5, 4, 3])
    t.same(await seqs({ to: all[2].createdAt }), [2, 1])
    t.same(await seqs({ from: all[1].createdAt, to: all[4].createdAt, order: 'asc' }), [2, 3, 4])
  })

  t.test('pages with a cursor in either order, without duplicates or gaps', async (t) => {
    for (const order of ['asc', 'desc'] as const) {
      const pages: number[][] = []
      let cursor: string | undefined
      do {
        const page = await list(knex, { limit: 4, order, cursor })
        pages.push(page.movements.map((m) => m.seq))
        cursor = page.nextCursor ?? undefined
      } while (cursor)
      t.same(
        pages,
        order === 'asc'
          ? [
              [1, 2, 3, 4],
              [5, 6],
            ]
          : [
              [6, 5, 4, 3],
              [2, 1],
            ],
        order
      )
    }
  })

  t.test('pages combine with filters', async (t) => {
    const first = await list(knex, { limit: 2, sku: 'BOLT-M8' })
    t.same(
      first.movements.map((m) => m.seq),
      [6, 5]
    )
    const second = await list(knex, { limit: 2, sku: 'BOLT-M8', cursor: first.nextCursor! })
    t.same(
      second.movements.map((m) => m.seq),
      [3, 1]
    )
    t.equal(second.nextCursor, null)
  })

  t.test('refuses a cursor it did not give out', async (t) => {
    const itemCursor = Buffer.from('{"p":"BOLT-M8"}').toString('base64url')
    await t.rejects(list(knex, { limit: 2, cursor: itemCursor }), { code: 'BAD_REQUEST' })
  })
})
