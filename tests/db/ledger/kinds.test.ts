// A kind of movement added in this test alone, as transfers will add theirs: one entry in a table
// of kinds, and the posting rule, the hash, the row codec and the verify take it as it is.
import knexFactory from 'knex'
import t from 'tap'
import type { Movement } from '../../../db/contract/index.ts'
import { EMPTY_LEDGER, hashedJsonSql, hashMovement, sha256 } from '../../../db/ledger/hash.ts'
import { KINDS, type KindInput, type MovementKind } from '../../../db/ledger/kinds.ts'
import { advance, post, type PostingState } from '../../../db/ledger/post.ts'
import { MOVEMENT_ROW, rowCodec } from '../../../db/ledger/row.ts'
import { LedgerVerifier } from '../../../db/ledger/verifier.ts'
import { withSql } from '../../../db/sql.ts'

interface WriteOff extends KindInput {
  type: 'write_off'
  quantity: number
  reason: string
}

// The whole of the new kind.
const writeOff: MovementKind<WriteOff> = {
  delta: (input) => -input.quantity,
  carries: { reason: (input) => input.reason },
  hashes: ['reason'],
  attempt: ({ input, unit }) => `write off ${input.quantity} ${unit} of ${input.sku}`,
}
const WITH_WRITE_OFF = { ...KINDS, write_off: writeOff }

const AT = '2026-12-15T10:00:00.000Z'

/** Three movements, the new kind among them, each posted on the one before. */
function ledger() {
  const stock = new Map([['ROPE', { onHand: 0, unit: 'm' }]])
  const state: PostingState = { head: EMPTY_LEDGER, stock, warehouse: 'Sevilla' }
  const inputs: KindInput[] = [
    { type: 'receipt', sku: 'ROPE', quantity: 50 } as KindInput,
    { type: 'write_off', sku: 'ROPE', quantity: 8, reason: 'frayed', note: 'bay 3' } as WriteOff,
    { type: 'adjustment', sku: 'ROPE', countedQuantity: 40 } as KindInput,
  ]
  const rows = inputs.map((input) => {
    const posting = post(state, input, AT, WITH_WRITE_OFF)
    if (!posting.ok) throw posting.refusal
    advance(state, posting)
    return posting.movement as Movement & { reason: string | null }
  })
  return { state, rows }
}

t.test('the posting rule posts the new kind with the field it carries', async (t) => {
  const { rows } = ledger()
  t.match(rows, [
    { seq: 1, type: 'receipt', delta: 50, reason: null, countedQuantity: null },
    { seq: 2, type: 'write_off', delta: -8, quantity: 8, balanceAfter: 42, reason: 'frayed' },
    { seq: 3, type: 'adjustment', delta: -2, countedQuantity: 40, reason: null },
  ])
  const stock = new Map([['ROPE', { onHand: 3, unit: 'm' }]])
  const refused = post(
    { head: EMPTY_LEDGER, stock, warehouse: 'Sevilla' },
    { type: 'write_off', sku: 'ROPE', quantity: 5, reason: 'wet' } as WriteOff,
    AT,
    WITH_WRITE_OFF
  )
  t.match(refused, {
    ok: false,
    refusal: { message: 'Cannot write off 5 m of ROPE in Sevilla: only 3 m on hand, short by 2' },
  })
})

t.test('its own field is hashed after the common ones; no other kind hashes change', async (t) => {
  const { rows } = ledger()
  const [receipt, written, count] = rows
  t.equal(hashMovement(written, WITH_WRITE_OFF), written.hash)
  const wet = { ...written, reason: 'wet' } as Movement
  t.not(hashMovement(wet, WITH_WRITE_OFF), written.hash)
  t.equal(hashMovement(receipt), receipt.hash, 'the same hash under the ledger as it is')
  t.equal(hashMovement(count), count.hash)
  t.equal(hashedJsonSql(KINDS), hashedJsonSql(), 'the SQL of this ledger is unchanged')
})

t.test('the row codec has a column for it, and SQLite hashes its rows the same', async (t) => {
  const codec = rowCodec(WITH_WRITE_OFF)
  // The columns of today, the new kind's among them: before `actor`, which every row has.
  const without = codec.columns.filter(([field]) => field !== 'reason')
  t.same(without, MOVEMENT_ROW.columns, 'the columns of today, and…')
  t.same(codec.columns.at(-2), ['reason', 'reason'])
  const { rows } = ledger()
  for (const row of rows) t.same(codec.fromRow(codec.toRow(row)), row)

  // A table with the codec's columns, as the kind's migration would make it.
  const knex = knexFactory({ client: 'sqlite3', connection: ':memory:', useNullAsDefault: true })
  t.teardown(() => knex.destroy())
  const names = codec.columns.map(([, column]) => column)
  await knex.raw(`CREATE TABLE movements (${names.join(', ')})`)
  const read = await withSql(knex, async (sql) => {
    await codec.insert(sql, rows)
    return sql.all<Movement & { text: string }>(
      `SELECT ${codec.select}, ${hashedJsonSql(WITH_WRITE_OFF)} AS text FROM movements`
    )
  })
  t.same(
    read.map(({ text: _, ...row }) => row),
    rows
  )
  t.same(
    read.map(({ text }) => sha256(text)),
    rows.map((row) => row.hash),
    "SQLite's text for each row hashes to the row's hash"
  )
})

t.test('a verify of a ledger with the new kind finds it whole, and finds a change', async (t) => {
  const { rows } = ledger()
  const verified = (row: Movement) => ({ ...row, computed: hashMovement(row, WITH_WRITE_OFF) })
  const whole = new LedgerVerifier()
  rows.forEach((row) => whole.add(verified(row)))
  const anchor = { seq: 3, hash: rows[2].hash }
  const balance = { sku: 'ROPE', onHand: 40, lastSeq: 3 }
  t.match(whole.result(anchor, [balance]), { ok: true, checked: { movements: 3 } })

  const changed = new LedgerVerifier()
  rows.forEach((row) => changed.add(verified(row.seq === 2 ? { ...row, reason: 'theft' } : row)))
  t.match(changed.result(anchor, [balance]), { ok: false, differences: [{ kind: 'hash', seq: 2 }] })
})
