import t from 'tap'
import { fingerprint, recall, remember } from '../../db/idempotency.ts'
import { testDb } from '../fixtures/test-db.ts'

t.test('the fingerprint does not depend on the order of keys, at any depth', async (t) => {
  t.equal(
    fingerprint('items.update', { sku: 'A', patch: { name: 'x', reorderPoint: 2 } }),
    fingerprint('items.update', { patch: { reorderPoint: 2, name: 'x' }, sku: 'A' })
  )
})

t.test('the fingerprint ignores fields set to undefined, as JSON does', async (t) => {
  t.equal(
    fingerprint('movements.record', { type: 'receipt', sku: 'A', quantity: 1, note: undefined }),
    fingerprint('movements.record', { type: 'receipt', sku: 'A', quantity: 1 })
  )
})

t.test('the fingerprint changes with the operation, a value, a field or array order', async (t) => {
  const base = fingerprint('movements.record', { type: 'issue', sku: 'A', quantity: 1 })
  t.match(base, /^[0-9a-f]{64}$/)
  t.not(fingerprint('items.create', { type: 'issue', sku: 'A', quantity: 1 }), base)
  t.not(fingerprint('movements.record', { type: 'issue', sku: 'A', quantity: 2 }), base)
  t.not(fingerprint('movements.record', { type: 'issue', sku: 'A', quantity: '1' }), base)
  t.not(fingerprint('movements.record', { type: 'issue', sku: 'A', quantity: 1, note: '' }), base)
  t.not(fingerprint('x', { list: [1, 2] }), fingerprint('x', { list: [2, 1] }))
})

t.test('a remembered success is recalled with its data and fingerprint', async (t) => {
  const knex = await testDb(t)
  const data = { sku: 'A', onHand: 3, nested: { list: [1, 2] } }
  await remember(knex, 'key-1', 'movements.record', 'print-1', { ok: true, data })
  t.same(await recall(knex, 'key-1'), { fingerprint: 'print-1', outcome: { ok: true, data } })
})

t.test('a remembered refusal is recalled with its error', async (t) => {
  const knex = await testDb(t)
  const error = {
    code: 'INSUFFICIENT_STOCK' as const,
    message: 'short by 2',
    details: { shortfall: 2 },
  }
  await remember(knex, 'key-2', 'movements.record', 'print-2', { ok: false, error })
  t.same(await recall(knex, 'key-2'), { fingerprint: 'print-2', outcome: { ok: false, error } })
})

t.test('an unknown key recalls nothing', async (t) => {
  const knex = await testDb(t)
  t.equal(await recall(knex, 'never-seen'), undefined)
})

t.test('a key is remembered once: a second remember of it is refused', async (t) => {
  const knex = await testDb(t)
  await remember(knex, 'key-3', 'items.create', 'print', { ok: true, data: {} })
  await t.rejects(remember(knex, 'key-3', 'items.create', 'print', { ok: true, data: {} }), {
    message: /UNIQUE constraint failed/,
  })
})
