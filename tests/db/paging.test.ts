import t from 'tap'
import { decodeCursor, decodeCursorStrings, encodeCursor, page } from '../../db/paging.ts'

t.test('a cursor decodes to the position it was made from, keeping its kind', async (t) => {
  t.equal(decodeCursor(encodeCursor('BOLT-M8'), 'string'), 'BOLT-M8')
  t.equal(decodeCursor(encodeCursor(42), 'number'), 42)
  t.match(encodeCursor('BOLT-M8'), /^[A-Za-z0-9_-]+$/, 'safe in a query string without escaping')
})

t.test(
  'a cursor of the wrong kind or not a cursor at all is refused with BAD_REQUEST',
  async (t) => {
    const refusal = {
      name: 'DomainError',
      code: 'BAD_REQUEST',
      details: [{ path: 'cursor', message: 'is not a cursor from a previous page' }],
    }
    t.throws(() => decodeCursor(encodeCursor(42), 'string'), refusal)
    t.throws(() => decodeCursor(encodeCursor('A'), 'number'), refusal)
    t.throws(() => decodeCursor('', 'string'), refusal)
    t.throws(() => decodeCursor('not base64 json', 'string'), refusal)
    t.throws(() => decodeCursor(Buffer.from('null').toString('base64url'), 'string'), refusal)
    t.throws(() => decodeCursor(Buffer.from('{"q":1}').toString('base64url'), 'number'), refusal)
  }
)

t.test(
  'a cursor of several columns decodes to its strings, and anything else is refused',
  async (t) => {
    const refusal = { name: 'DomainError', code: 'BAD_REQUEST' }
    const made = page(['x', 'y'], 1, (r) => JSON.stringify(['2026-12-05T17:00:00.000Z', r]))
    t.same(decodeCursorStrings(made.nextCursor!, 2), ['2026-12-05T17:00:00.000Z', 'x'])
    // Each a cursor of a string, as decodeCursor takes it, whose string is not two strings.
    for (const text of ['x', 'null', '{}', '[]', '["a"]', '["a", 1]', '["a", "b", "c"]']) {
      t.throws(() => decodeCursorStrings(encodeCursor(text), 2), refusal, text)
    }
    t.throws(() => decodeCursorStrings(encodeCursor(7), 2), refusal)
  }
)

t.test('page keeps limit rows and points the next cursor at the last of them', async (t) => {
  const { rows, nextCursor } = page([1, 2, 3, 4], 3, (n) => n * 10)
  t.same(rows, [1, 2, 3])
  t.equal(decodeCursor(nextCursor!, 'number'), 30)
})

t.test('page has no next cursor when the rows fit in the limit', async (t) => {
  t.same(
    page([1, 2, 3], 3, (n) => n),
    { rows: [1, 2, 3], nextCursor: null }
  )
  t.same(
    page([], 3, (n: number) => n),
    { rows: [], nextCursor: null }
  )
})
