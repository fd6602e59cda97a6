import t from 'tap'
import type { Movement } from '../../../db/contract/index.ts'
import { create } from '../../../db/operations/items.ts'
import { list, record } from '../../../db/operations/movements.ts'
import { MOVEMENT_ROW } from '../../../db/ledger/row.ts'
import { withSql } from '../../../db/sql.ts'
import { testDb } from '../../fixtures/test-db.ts'

const count: Movement = {
  seq: 3,
  type: 'adjustment',
  sku: 'BOLT-M8',
  quantity: 2,
  delta: -2,
  countedQuantity: 8,
  balanceAfter: 8,
  reference: 'COUNT-7',
  note: 'ñ "quoted" \\ back',
  createdAt: '2026-12-15T10:00:00.000Z',
  prevHash: 'a'.repeat(64),
  hash: 'b'.repeat(64),
  transferId: null,
  counterparty: null,
  actor: 'ana',
}

t.test('a movement survives the trip to a row and back', async (t) => {
  const row = MOVEMENT_ROW.toRow(count)
  t.same(row, {
    seq: 3,
    type: 'adjustment',
    sku: 'BOLT-M8',
    quantity: 2,
    delta: -2,
    counted_quantity: 8,
    balance_after: 8,
    reference: 'COUNT-7',
    note: 'ñ "quoted" \\ back',
    created_at: '2026-12-15T10:00:00.000Z',
    prev_hash: 'a'.repeat(64),
    hash: 'b'.repeat(64),
    transfer_id: null,
    counterparty: null,
    actor: 'ana',
  })
  t.same(MOVEMENT_ROW.fromRow(row), count)
})

t.test("the codec's columns are the ledger table's, in its order", async (t) => {
  const knex = await testDb(t)
  const columns: { name: string }[] = await knex.raw('PRAGMA table_info(movements)')
  t.same(
    MOVEMENT_ROW.columns.map(([, column]) => column),
    columns.map((c) => c.name)
  )
})

t.test('rows the ledger writes are read back whole by the SELECT list and by list', async (t) => {
  const knex = await testDb(t)
  await create(knex, { sku: 'BOLT-M8', name: 'Bolt M8', unit: 'ea' })
  const written = [
    await record(knex, { type: 'receipt', sku: 'BOLT-M8', quantity: 10, note: 'ñ' }),
    await record(knex, { type: 'adjustment', sku: 'BOLT-M8', countedQuantity: 8 }),
  ]
  const read = await withSql(knex, (sql) =>
    sql.all(`SELECT ${MOVEMENT_ROW.select} FROM movements ORDER BY seq`)
  )
  t.same(read, written)
  t.same((await list(knex, { limit: 10, order: 'asc' })).movements, written)
  const raw = await withSql(knex, (sql) =>
    sql.all<Record<string, never>>('SELECT * FROM movements')
  )
  t.same(raw.map(MOVEMENT_ROW.fromRow), written, 'fromRow reads a row as SQLite stores it')
})

t.test('the insert of a run is one statement, whatever the run', async (t) => {
  const knex = await testDb(t)
  await create(knex, { sku: 'BOLT-M8', name: 'Bolt M8', unit: 'ea' })
  const rows = Array.from({ length: 300 }, (_, i) => ({ ...count, seq: i + 1, balanceAfter: 0 }))
  let statements = 0
  await withSql(knex, async (sql) => {
    const counted = {
      ...sql,
      run: (text: string, params?: unknown[]) => (statements++, sql.run(text, params)),
    }
    await MOVEMENT_ROW.insert(counted, rows)
    await MOVEMENT_ROW.insert(counted, [])
  })
  t.equal(statements, 1, 'and none for no rows')
  t.equal((await knex('movements').count({ n: '*' }).first())?.n, 300)
})
