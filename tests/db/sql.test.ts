// db/sql.ts: statements on the connection knex holds, each compiled once per connection and bound
// afresh at every use. A kept statement must answer exactly as a fresh one would — whatever was
// bound before, whatever the schema became — must never hold the transaction open, and must let
// the database close; a script in a savepoint must leave nothing behind when one statement fails.
import t from 'tap'
import { PREPARED_PER_CONNECTION, TEXT_KEPT_PER_CONNECTION, withSql } from '../../db/sql.ts'
import { testDb } from '../fixtures/test-db.ts'

const VALUES = [
  '',
  "it's",
  "'; DROP TABLE movements; --",
  'a?b ?1 ?',
  'línea\nsegunda\ttab \\ backslash',
  'ñandú 😀 𝄞',
  'a\0b, a NUL inside',
  0,
  -1,
  2 ** 31,
  -3_000_000_000,
  2 ** 53 - 1,
  1.5,
  -0.25,
  1e21,
  true,
  false,
  null,
  undefined,
]

// As node-sqlite3 binds: a 32-bit integer (or a boolean) as an INTEGER, any other number a REAL.
const EXPECTED_TYPE = (value: unknown) =>
  value === null || value === undefined
    ? 'null'
    : typeof value === 'string'
      ? 'text'
      : typeof value === 'boolean' || value === ((value as number) | 0)
        ? 'integer'
        : 'real'

t.test('one statement used with each value in turn answers each as bound', async (t) => {
  const knex = await testDb(t)
  await withSql(knex, async (sql) => {
    for (const value of VALUES) {
      const rows = await sql.all<{ type: string; value: unknown }>(
        'SELECT typeof(?) AS type, ? AS value',
        [value, value]
      )
      const stored = typeof value === 'boolean' ? Number(value) : (value ?? null)
      t.same(
        rows,
        [{ type: EXPECTED_TYPE(value), value: stored }],
        JSON.stringify(value) ?? 'undefined'
      )
    }
    t.same(await sql.all('SELECT 1 AS one'), [{ one: 1 }])
    t.same(await sql.all('SELECT 1 AS one'), [{ one: 1 }], 'no parameters: answered again')
  })
})

t.test('a kept statement holds no transaction open: it commits and rolls back', async (t) => {
  const knex = await testDb(t)
  await knex.raw('CREATE TABLE notes (n INTEGER PRIMARY KEY)')
  await knex.transaction((trx) =>
    withSql(trx, async (sql) => {
      await sql.run('INSERT INTO notes SELECT value FROM json_each(?)', ['[1,2,3]'])
      t.same(await sql.all('SELECT n FROM notes ORDER BY n'), [{ n: 1 }, { n: 2 }, { n: 3 }])
    })
  )
  await t.rejects(
    knex.transaction((trx) =>
      withSql(trx, async (sql) => {
        await sql.run('INSERT INTO notes SELECT value FROM json_each(?)', ['[4]'])
        await sql.all('SELECT n FROM notes ORDER BY n')
        throw new Error('changed my mind')
      })
    ),
    /changed my mind/
  )
  t.same(
    (await knex('notes').orderBy('n')).map((r) => r.n),
    [1, 2, 3],
    'committed once, rolled back once'
  )
})

t.test(
  'a kept statement follows the schema; a text that does not compile is not kept',
  async (t) => {
    const knex = await testDb(t)
    await withSql(knex, async (sql) => {
      await t.rejects(sql.all('SELECT * FROM later'), /no such table: later/)
      await sql.run('CREATE TABLE later (a INTEGER)')
      await sql.run('INSERT INTO later VALUES (?)', [1])
      t.same(await sql.all('SELECT * FROM later'), [{ a: 1 }], 'compiled now that it exists')
      await sql.run('ALTER TABLE later ADD COLUMN b TEXT')
      t.same(
        await sql.all('SELECT * FROM later'),
        [{ a: 1, b: null }],
        'recompiled for the new column'
      )
    })
  }
)

t.test('past the limit the oldest statements go; the database still closes', async (t) => {
  const knex = await testDb(t)
  await withSql(knex, async (sql) => {
    for (let i = 0; i < PREPARED_PER_CONNECTION + 20; i++) {
      t.same(await sql.all(`SELECT ${i} AS i`), [{ i }])
    }
    t.same(await sql.all('SELECT 0 AS i'), [{ i: 0 }], 'a dropped one is compiled again')
    const half = (n: number) => `SELECT ${n} AS i /* ${'x'.repeat(TEXT_KEPT_PER_CONNECTION / 2)} */`
    for (const n of [1, 2, 3, 1]) t.same(await sql.all(half(n)), [{ i: n }], 'past the text kept')
    const long = `SELECT ? AS i /* ${'x'.repeat(TEXT_KEPT_PER_CONNECTION)} */`
    t.same(await sql.all(long, [1]), [{ i: 1 }])
    t.same(await sql.all(long, [2]), [{ i: 2 }], 'a text too long to keep: compiled for each use')
  })
  // knex's pool swallows a failed close: its event tells (SQLITE_BUSY while statements are left).
  const failedCloses: unknown[] = []
  const pool = (knex.client as { pool: { on(event: string, fn: (...a: unknown[]) => void): void } })
    .pool
  pool.on('destroyFail', (_id, _resource, err) => failedCloses.push(err))
  await knex.destroy()
  t.same(failedCloses, [], 'closed with its statements finalized')
})

t.test('a script runs in order; in a savepoint, a failure leaves none of it', async (t) => {
  const knex = await testDb(t)
  await withSql(knex, async (sql) => {
    await sql.run('CREATE TABLE notes (n INTEGER PRIMARY KEY, text TEXT NOT NULL)')
    await sql.script([
      ['INSERT INTO notes VALUES (?, ?) -- the first', [1, "it's one"]],
      ['INSERT INTO notes SELECT value->>0, value->>1 FROM json_each(?)', ['[[2,"two"],[3,"3"]]']],
    ])
    const failing = [
      ['INSERT INTO notes VALUES (?, ?)', [4, 'four']],
      ['INSERT INTO notes VALUES (?, ?)', [1, 'one again']],
    ] as const
    await t.rejects(sql.script(failing, { savepoint: true }), /UNIQUE constraint failed/)
    t.same(
      (await sql.all<{ n: number }>('SELECT n FROM notes ORDER BY n')).map((r) => r.n),
      [1, 2, 3],
      'in a savepoint: nothing of it stays'
    )
    await t.rejects(sql.script(failing), /UNIQUE constraint failed/)
    t.same(
      (await sql.all<{ n: number }>('SELECT n FROM notes ORDER BY n')).map((r) => r.n),
      [1, 2, 3, 4],
      'without one: what ran before the failure stays'
    )
    t.same(await sql.all('SELECT text FROM notes WHERE n = 1'), [{ text: "it's one" }])
  })
})
