// The three statements that store a decided run of movements: the ledger rows, the balances they
// move and the idempotency records, each as one statement over a JSON array (json_each), so a run
// of any size is three trips to SQLite.
import type * as C from '../contract.ts'
import type { Sql } from '../sql.ts'

export async function appendRows(
  sql: Sql,
  movements: C.Movement[],
  balances: unknown[],
  keys: unknown[]
) {
  if (movements.length > 0) {
    await sql.run(
      `INSERT INTO movements (seq, type, sku, quantity, delta, counted_quantity, balance_after,
         reference, note, created_at, prev_hash, hash)
       SELECT value->>'seq', value->>'type', value->>'sku', value->>'quantity', value->>'delta',
         value->>'countedQuantity', value->>'balanceAfter', value->>'reference', value->>'note',
         value->>'createdAt', value->>'prevHash', value->>'hash' FROM json_each(?)`,
      [JSON.stringify(movements)]
    )
    await sql.run(
      `UPDATE balances SET on_hand = j.value->>'onHand', last_seq = j.value->>'lastSeq',
         updated_at = j.value->>'at' FROM json_each(?) AS j WHERE balances.sku = j.value->>'sku'`,
      [JSON.stringify(balances)]
    )
  }
  if (keys.length > 0) {
    await sql.run(
      `INSERT INTO idempotency_keys (key, op, fingerprint, ok, result, created_at)
       SELECT value->>'key', value->>'op', value->>'fingerprint', value->>'ok', value->>'result',
         value->>'createdAt' FROM json_each(?)`,
      [JSON.stringify(keys)]
    )
  }
}
