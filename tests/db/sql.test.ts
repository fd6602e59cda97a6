// Scripts (db/sql.ts): writes sent to SQLite in one trip, their parameters written in as literals.
// A value written in must be stored exactly as node-sqlite3 binds it, whatever its text holds,
// and a script in a savepoint must leave nothing behind when one of its statements fails.
import t from 'tap'
import { inline, literal, withSql } from '../../db/sql.ts'
import { testDb } from '../fixtures/test-db.ts'

const TEXTS = [
  '',
  "it's",
  "''",
  "'; DROP TABLE movements; --",
  'a?b ?1 ?',
  '-- not a comment',
  'línea\nsegunda\ttab \\ backslash',
  'ñandú 😀 𝄞',
  'a\0b, a NUL inside',
  JSON.stringify({ note: 'O\'Brien\'s "rope"', lines: [{ sku: 'R-1', quantity: 2 }] }),
]
const NUMBERS = [
  0,
  -0,
  -1,
  42,
  2 ** 31 - 1,
  -(2 ** 31),
  2 ** 31,
  -3_000_000_000,
  2 ** 53 - 1,
  1.5,
  -0.25,
  2 ** 53,
  1e21,
  1e-7,
]

t.test('a value written in is stored as the bound value is: same type, same value', async (t) => {
  const knex = await testDb(t)
  await withSql(knex, async (sql) => {
    for (const value of [...TEXTS, ...NUMBERS, true, false, null, undefined]) {
      const bound = await sql.all<{ type: string; value: unknown }>(
        'SELECT typeof(?) AS type, ? AS value',
        [value, value]
      )
      const written = await sql.all<{ type: string; value: unknown }>(
        inline('SELECT typeof(?) AS type, ? AS value', [value, value])
      )
      t.same(written, bound, JSON.stringify(value) ?? 'undefined')
    }
  })
})

t.test(
  "parameters are numbered as SQLite numbers them; the text's own parts are left alone",
  async (t) => {
    t.equal(
      inline(`SELECT '?', "a?", [b?], ?2 -- what ?\n, /* it's ? */ ?1`, ['x', 2]),
      `SELECT '?', "a?", [b?], 2 -- what ?\n, /* it's ? */ 'x'`
    )
    t.equal(inline("SELECT 'it''s ?', ?", [1]), "SELECT 'it''s ?', 1")
    t.equal(
      inline('SELECT ?2, ?, ?1', ['x', 'y', 'z']),
      "SELECT 'y', 'z', 'x'",
      'a bare ? follows the largest'
    )
    t.equal(inline('SELECT -?', [-1]), 'SELECT -(-1)', 'a negative after a minus is no comment')
    t.throws(() => inline('SELECT ?, ?', [1]), /parameter 2 of 1/)
    t.throws(() => inline('SELECT ?', [1, 2]), /2 parameters for 1 places/)
    t.throws(() => inline("SELECT 'open", []), /unterminated/)
    t.throws(() => inline('SELECT 1 /* open', []), /unterminated comment/)
    t.throws(() => inline('SELECT @name', []), /named parameter/)
    t.throws(() => inline('SELECT :name', []), /named parameter/)
  }
)

t.test('what cannot be written in exactly is refused, not stored wrong', async (t) => {
  t.throws(() => literal(Number.NaN), /cannot be stored/)
  t.throws(() => literal(Number.POSITIVE_INFINITY), /cannot be stored/)
  t.throws(() => literal({ a: 1 }), /object cannot go in a script/)
  t.throws(() => literal(Buffer.from('x')), /object cannot go in a script/)
  t.throws(() => literal(10n), /bigint cannot go in a script/)
})

t.test('a script runs in one trip; in a savepoint, a failure leaves none of it', async (t) => {
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
