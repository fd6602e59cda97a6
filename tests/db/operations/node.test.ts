import t from 'tap'
import { create } from '../../../db/operations/items.ts'
import { record } from '../../../db/operations/movements.ts'
import { ensureIdentity, info, ping, warehouseName } from '../../../db/operations/node.ts'
import { testDb } from '../../fixtures/test-db.ts'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

t.test('ensureIdentity makes an id on first start and keeps it, following the name', async (t) => {
  const knex = await testDb(t)
  const first = await ensureIdentity(knex, 'Madrid Norte')
  t.match(first, { id: UUID, name: 'Madrid Norte' })
  const second = await ensureIdentity(knex, 'Madrid Sur')
  t.same(second, { id: first.id, name: 'Madrid Sur' })
  t.same(await knex('node_settings').orderBy('key').select(), [
    { key: 'id', value: first.id },
    { key: 'name', value: 'Madrid Sur' },
  ])
})

t.test('two databases get two different ids', async (t) => {
  const [a, b] = await Promise.all([testDb(t), testDb(t)])
  const [idA, idB] = await Promise.all([ensureIdentity(a, 'A'), ensureIdentity(b, 'B')])
  t.not(idA.id, idB.id)
})

t.test(
  'the warehouse name is the configured one, or a plain default before there is one',
  async (t) => {
    const knex = await testDb(t)
    t.equal(await warehouseName(knex), 'this warehouse')
    await ensureIdentity(knex, 'Sevilla')
    t.equal(await warehouseName(knex), 'Sevilla')
  }
)

t.test('node.info reports identity, counts and how the database is kept', async (t) => {
  const knex = await testDb(t)
  const { id } = await ensureIdentity(knex, 'Bilbao')
  t.match(await info(knex), {
    id,
    name: 'Bilbao',
    counts: { items: 0, movements: 0 },
    database: {
      file: '',
      sqliteVersion: /^3\.\d+\.\d+$/,
      journalMode: 'memory',
      synchronous: 'full',
    },
  })
  await create(knex, { sku: 'A', name: 'A', unit: 'ea' })
  await create(knex, { sku: 'B', name: 'B', unit: 'ea' })
  await record(knex, { type: 'receipt', sku: 'A', quantity: 3 })
  await record(knex, { type: 'receipt', sku: 'B', quantity: 4 })
  await record(knex, { type: 'issue', sku: 'A', quantity: 1 })
  t.match(await info(knex), { counts: { items: 2, movements: 3 } })
})

t.test('node.ping answers pong', async (t) => {
  t.same(await ping(await testDb(t)), { pong: true })
})

t.test('node.ping is refused, naming them, when tables of the schema are gone', async (t) => {
  const knex = await testDb(t)
  await knex.schema.dropTable('members')
  await knex.schema.dropTable('idempotency_keys')
  await t.rejects(ping(knex), {
    code: 'SCHEMA_MISSING',
    message: /lost its tables idempotency_keys, members: stop the node and restore/,
  })
})
