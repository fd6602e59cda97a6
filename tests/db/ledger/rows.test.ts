import type { Knex } from 'knex'
import t from 'tap'
import type { Movement } from '../../../db/contract/index.ts'
import { HASHED_JSON_SQL, hashMovement } from '../../../db/ledger/hash.ts'
import { create } from '../../../db/operations/items.ts'
import { verify } from '../../../db/operations/ledger.ts'
import { record } from '../../../db/operations/movements.ts'
import { testDb } from '../../fixtures/test-db.ts'

const NOTES = [
  'plain',
  'ñandú, Ærø, 東京, עברית',
  'emoji 😀 and 👍🏽',
  'quotes " and \\ backslash / slash',
  'line\nbreak\ttab\rreturn\bback\fform',
  'controls \u0000 \u0001 \u001f \u007f',
  'separators \u2028 \u2029 and a BOM \ufeff',
  '</script> & <b>',
  'x'.repeat(1000),
]

async function ledger(t: Parameters<typeof testDb>[0]): Promise<Knex> {
  const knex = await testDb(t)
  await create(knex, { sku: 'BOLT-M8', name: 'Bolt M8', unit: 'ea' })
  for (const note of NOTES) {
    await record(knex, { type: 'receipt', sku: 'BOLT-M8', quantity: 1, note, reference: note })
  }
  return knex
}

t.test('the text SQLite builds for a row is the text hashMovement hashes', async (t) => {
  const knex = await ledger(t)
  const rows: (Movement & { text: string })[] = await knex('movements')
    .orderBy('seq')
    .select('*', knex.raw(`${HASHED_JSON_SQL} AS text`))
  t.equal(rows.length, NOTES.length)
  for (const [i, { text, hash, ...fields }] of rows.entries()) {
    const { prevHash, seq, type, sku, quantity, delta, countedQuantity } = fields
    const { balanceAfter, reference, note, createdAt } = fields
    const js = [prevHash, seq, type, sku, quantity, delta, countedQuantity, balanceAfter]
    // Who made the row last: `system`, a record with nobody's request behind it.
    t.equal(text, JSON.stringify([...js, reference, note, createdAt, 'system']), `note ${i}`)
    t.equal(hashMovement(fields), hash)
  }
  t.match(await verify(knex), { ok: true, checked: { movements: NOTES.length } })
})

t.test('a note turned into a BLOB behind the node is reported as a changed row', async (t) => {
  const knex = await ledger(t)
  await knex.raw('DROP TRIGGER movements_append_only_update')
  await knex.raw(`UPDATE movements SET note = CAST(note AS BLOB) WHERE seq = 2`)
  t.match(await verify(knex), {
    ok: false,
    differences: [{ kind: 'hash', seq: 2, message: 'movement 2 was changed after it was written' }],
  })
})
