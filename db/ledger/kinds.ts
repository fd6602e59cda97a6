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
  /** Who makes the row (db/actor.ts): `system` when nobody says; null only for rows as before. */
  actor?: string | null
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
  /**
   * The row's quantity when it is not the size of its change to on hand (a loss in transit
   * written off changes nothing here, yet is a quantity); abs(delta) without it.
   */
  quantity?(input: I, delta: number): number
  /**
   * What the row adds to the projections beside on hand (balances.sent, balances.received): the
   * row's quantity or delta, with a sign. A kind without it moves neither.
   */
  projects?: Readonly<Partial<Record<Projection, { of: 'quantity' | 'delta'; sign: 1 | -1 }>>>
  /** What was tried, for the sentence refusing it: "issue 5 ea of BOLT-M8". */
  attempt(tried: { input: I; unit: string; delta: number }): string
}

/**
 * The ledger's projections beside on hand: what this warehouse sent to others and has not seen
 * settled (sent − returned − written off), and what it received from others. Over the company,
 * Σ sent − Σ received is the stock on the road.
 */
export const PROJECTIONS = ['sent', 'received'] as const
export type Projection = (typeof PROJECTIONS)[number]

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

// A transfer's rows (db/transfers): each names the transfer and the other warehouse, both hashed,
// so a row cannot be moved to another transfer or peer without breaking the chain.
type TransferFields = { quantity: number; transferId: string; counterparty: string }
type TransferOutInput = Input<'transfer_out', TransferFields>
/** `quantity` is signed: the excess correction of a receipt is a transfer_in below zero. */
type TransferInInput = Input<'transfer_in', TransferFields>
type TransferReturnInput = Input<'transfer_return', TransferFields>
type TransferWriteoffInput = Input<'transfer_writeoff', TransferFields>

const transferCarries = {
  transferId: (input: TransferFields) => input.transferId,
  counterparty: (input: TransferFields) => input.counterparty,
}
const transferHashes = ['transferId', 'counterparty'] as const

const transferOut: MovementKind<TransferOutInput> = {
  delta: (input) => -input.quantity,
  carries: transferCarries,
  hashes: transferHashes,
  projects: { sent: { of: 'quantity', sign: 1 } },
  attempt: ({ input, unit }) => `send ${input.quantity} ${unit} of ${input.sku}`,
}

const transferIn: MovementKind<TransferInInput> = {
  delta: (input) => input.quantity,
  carries: transferCarries,
  hashes: transferHashes,
  projects: { received: { of: 'delta', sign: 1 } },
  attempt: ({ input, unit }) => `take ${-input.quantity} ${unit} of ${input.sku} off a receipt`,
}

const transferReturn: MovementKind<TransferReturnInput> = {
  delta: (input) => input.quantity,
  carries: transferCarries,
  hashes: transferHashes,
  projects: { sent: { of: 'quantity', sign: -1 } },
  attempt: ({ input, unit }) => `book back ${input.quantity} ${unit} of ${input.sku}`,
}

const transferWriteoff: MovementKind<TransferWriteoffInput> = {
  delta: () => 0,
  quantity: (input) => input.quantity,
  carries: transferCarries,
  hashes: transferHashes,
  projects: { sent: { of: 'quantity', sign: -1 } },
  attempt: ({ input, unit }) => `write off ${input.quantity} ${unit} of ${input.sku} in transit`,
}

/** The ledger's kinds of movement. Only grows: a kind's rows stay in the ledger for ever. */
export const KINDS = {
  receipt,
  issue,
  adjustment,
  transfer_out: transferOut,
  transfer_in: transferIn,
  transfer_return: transferReturn,
  transfer_writeoff: transferWriteoff,
} as const

/** What a row of `type` adds to a projection (0 for a kind that does not move it). */
export function projected(
  projection: Projection,
  row: { type: string; quantity: number; delta: number },
  kinds: Kinds = KINDS
): number {
  const rule = (kinds[row.type] as MovementKind<KindInput> | undefined)?.projects?.[projection]
  return rule ? rule.sign * row[rule.of] : 0
}

/** SQL for what a `movements` row adds to a projection: `sum(${projectionSql('sent')})`. */
export function projectionSql(projection: Projection, kinds: Kinds = KINDS): string {
  const cases = Object.entries(kinds).flatMap(([name, kind]) => {
    const rule = (kind as MovementKind<KindInput>).projects?.[projection]
    return rule ? [`WHEN '${name}' THEN ${rule.sign < 0 ? '-' : ''}${rule.of}`] : []
  })
  return cases.length ? `(CASE type ${cases.join(' ')} ELSE 0 END)` : '0'
}

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
