// The kinds of movement the ledger knows, and everything that differs between them: how the
// signed change to on hand follows from the input and the stock on hand, the fields only that
// kind fills, the fields hashed after the common ones, and what a refusal says it tried. The
// posting rule (post.ts), the row codec (row.ts), the hash (hash.ts) and the type a movement's
// `type` may take all read this table: a new kind is a new entry here, plus the migration that
// lets its name (and any field it carries) into the `movements` table.
/** A value a movement's field may hold. */
export type Scalar = string | number | null

/** What every kind's input has: the item, and the free text every row carries. */
export interface KindInput {
  type: string
  sku: string
  reference?: string
  note?: string
}

export interface MovementKind<I extends KindInput = KindInput> {
  /** The signed change to on hand, given what is on hand before it. */
  delta(input: I, onHand: number): number
  /**
   * The fields this kind fills, each a column of `movements` (the field in snake_case), null in
   * the rows of other kinds.
   */
  carries?: Readonly<Record<string, (input: I, onHand: number) => Scalar>>
  /** Fields of `carries` hashed after the common ones (hash.ts), in this order. */
  hashes?: readonly string[]
  /** What was tried, for the sentence refusing it: "issue 5 ea of BOLT-M8". */
  attempt(tried: { input: I; unit: string; delta: number }): string
}

// What each kind is posted from. They are the ledger's own (the contract's movements.record
// payload fits them; a transfer's operation will post its kinds from its own payload).
type Input<T extends string, Fields> = KindInput & { type: T } & Fields
type ReceiptInput = Input<'receipt', { quantity: number }>
type IssueInput = Input<'issue', { quantity: number }>
type AdjustmentInput = Input<'adjustment', { countedQuantity: number } | { delta: number }>

const receipt: MovementKind<ReceiptInput> = {
  delta: (input) => input.quantity,
  attempt: ({ input, unit }) => `receive ${input.quantity} ${unit} of ${input.sku}`,
}

const issue: MovementKind<IssueInput> = {
  delta: (input) => -input.quantity,
  attempt: ({ input, unit }) => `issue ${input.quantity} ${unit} of ${input.sku}`,
}

// countedQuantity was hashed in every kind's row from the first one (hash.ts lists it with the
// common fields), so it hashes nothing more.
const adjustment: MovementKind<AdjustmentInput> = {
  delta: (input, onHand) =>
    'countedQuantity' in input ? input.countedQuantity - onHand : input.delta,
  carries: {
    countedQuantity: (input) => ('countedQuantity' in input ? input.countedQuantity : null),
  },
  attempt: ({ input, unit, delta }) => `adjust ${input.sku} by ${delta} ${unit}`,
}

/** The ledger's kinds of movement. Only grows: a kind's rows stay in the ledger for ever. */
export const KINDS = { receipt, issue, adjustment } as const

export type KindName = keyof typeof KINDS

/** A table of kinds: KINDS, or (in a test) KINDS with more. */
export type Kinds = Readonly<Record<string, MovementKind<never>>>

const carried = new WeakMap<Kinds, readonly string[]>()

/** The fields some kind carries, each once, in the order of the table. */
export function carriedFields(kinds: Kinds): readonly string[] {
  let fields = carried.get(kinds)
  if (!fields) {
    fields = [...new Set(Object.values(kinds).flatMap((kind) => Object.keys(kind.carries ?? {})))]
    carried.set(kinds, fields)
  }
  return fields
}

/** A field's column: knex's snake_case mapping of the name, done once here for hand-written SQL. */
export function columnOf(field: string): string {
  return field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)
}
