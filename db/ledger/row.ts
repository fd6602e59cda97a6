// The one mapping between a ledger row as SQLite stores it (snake_case columns) and a Movement as
// the API returns it: the column list, both conversions, the SELECT list and the insert of a run
// of rows. The ledger's insert, movements.list, the verify, the bench and (later) the replication
// feed all use it, so a column is named here and nowhere else.
import type { Movement } from '../contract/index.ts'
import type { Sql, Statement } from '../sql.ts'
import { carriedFields, columnOf, KINDS, type Kinds, type Scalar } from './kinds.ts'

// The columns every row has, in table order. counted_quantity was the first field one kind
// carries (an adjustment's count); it stays in its place, and later kinds' fields come after.
const COMMON = [
  'seq',
  'type',
  'sku',
  'quantity',
  'delta',
  'countedQuantity',
  'balanceAfter',
  'reference',
  'note',
  'createdAt',
  'prevHash',
  'hash',
] as const

/** A ledger row as SQLite stores it. */
export type MovementRow = Record<string, Scalar>

export interface RowCodec {
  /** [field, column] for every column, in table order. */
  readonly columns: readonly (readonly [field: string, column: string])[]
  /** The SELECT list that reads a row as a Movement (`counted_quantity AS countedQuantity`…). */
  readonly select: string
  /** `INSERT INTO movements … VALUES (@column…)`, for drivers with named parameters. */
  readonly insertNamed: string
  toRow(movement: Movement): MovementRow
  fromRow(row: MovementRow): Movement
  /** A row's values in column order, for a multi-row VALUES insert (db/replicas/apply.ts). */
  values(movement: Movement): Scalar[]
  /** Appends movements (already decided and hashed) with one statement, whatever their number. */
  insert(sql: Sql, movements: readonly Movement[]): Promise<void>
  /** That statement, for a script (db/sql.ts). */
  insertStatement(movements: readonly Movement[]): Statement
}

/** The codec of a ledger whose kinds are `kinds`: the common columns, then what kinds carry. */
export function rowCodec(kinds: Kinds): RowCodec {
  const carried = carriedFields(kinds).filter((f) => !COMMON.includes(f as never))
  // Who made the row came last (a migration added it), after what kinds carry.
  const fields = [...COMMON, ...carried, 'actor']
  const columns = fields.map((field) => [field, columnOf(field)] as const)
  const names = columns.map(([, column]) => column).join(', ')
  const insertSql = `INSERT INTO movements (${names})
    SELECT ${columns.map(([field]) => `value->>'${field}'`).join(', ')} FROM json_each(?)`
  return {
    columns,
    select: columns.map(([f, c]) => (f === c ? c : `${c} AS ${f}`)).join(', '),
    insertNamed: `INSERT INTO movements (${names}) VALUES (${columns.map(([, c]) => `@${c}`).join(', ')})`,
    toRow: (movement) => {
      const source = movement as unknown as Record<string, Scalar>
      return Object.fromEntries(columns.map(([field, column]) => [column, source[field] ?? null]))
    },
    fromRow: (row) =>
      Object.fromEntries(columns.map(([field, column]) => [field, row[column] ?? null])) as never,
    values: (movement) => {
      const source = movement as unknown as Record<string, Scalar>
      return columns.map(([field]) => source[field] ?? null)
    },
    insert: async (sql, movements) => {
      if (movements.length > 0) await sql.run(insertSql, [JSON.stringify(movements)])
    },
    insertStatement: (movements) => [insertSql, [JSON.stringify(movements)]],
  }
}

/** The codec of this node's ledger. */
export const MOVEMENT_ROW = rowCodec(KINDS)
