// The two state machines of a transfer, as pure functions: `(record, event) → {record, effects}`
// or a refusal. A (the sender, direction `out`) and B (the receiver, `in`) each keep their own
// record; they learn of each other's steps only through messages, which are facts: every function
// here that takes a peer's message is idempotent and order-tolerant (a dispatch arriving after B
// received against the id, a receipt id told twice, a cancel request after a receipt). The ops
// (db/transfers/ops.ts) load the record, call one of these, and write the record and the effects
// (ledger rows through the one posting path, outbox messages) in one transaction.
//
// The invariants (../shared/research/replication-transfers.md §6.2) these keep, per SKU line:
// T1 at A: received + writtenOff + returned ≤ sent, and toWriteOff + toReturn + received ≤ sent;
//    on close everything sent is accounted for (received, written off or returned).
// T2 each receipt id applies once, at both sides (the record's receipts).
// T6 B never applies a receipt to a cancelled or rejected transfer; A books goods back only after
//    B's rejection, B's acceptance of a cancel, or a receipt that sends goods back.
import type {
  Disposition,
  InState,
  OutState,
  TransferLine,
  TransferMessageKind,
  TransferOutcome,
} from '../contract/transfers.ts'
import type { ErrorCode } from '../contract/index.ts'

/** One SKU of a transfer as this side keeps it: the contract's line but its in transit, derived. */
export type LineRecord = Omit<TransferLine, 'inTransit'>

/** Why goods are coming back at A: B rejected, B accepted a cancel, or a receipt's disposition. */
export type ReturnCause = 'rejected' | 'cancelled' | null

export interface TransferRecord {
  id: string
  direction: 'out' | 'in'
  peer: string
  peerName: string
  state: OutState | InState
  outcome: TransferOutcome | null
  reference: string
  note: string
  reason: string | null
  cause: ReturnCause
  /** At B: whether A's dispatch has arrived (lines' `sent` are known). Always true at A. */
  announced: boolean
  lines: LineRecord[]
  /** Every receipt, in the order B made them (A applies them in that order: B's outbox's). */
  receipts: { receiptId: string; final: boolean; lines: ReceiptLine[] }[]
}

export interface ReceiptLine {
  sku: string
  received: number
  damaged?: number
  short?: number
  disposition?: Disposition
  reason?: string
}

/** What a step asks to be done, in its transaction. */
export type Effect =
  | {
      post: 'transfer_out' | 'transfer_in' | 'transfer_return' | 'transfer_writeoff' | 'receipt'
      sku: string
      /** transfer_in may be negative: the correction of an excess received before the dispatch. */
      quantity: number
      note?: string
      reference?: string
    }
  | { send: TransferMessageKind; payload: Record<string, unknown> }
  | { receipt: { receiptId: string; final: boolean; lines: ReceiptLine[] } }

export type Step =
  | { ok: true; record: TransferRecord; effects: Effect[]; changed: boolean }
  | { ok: false; code: ErrorCode; message: string; details?: unknown }

const refuse = (code: ErrorCode, message: string, details?: unknown): Step => ({
  ok: false,
  code,
  message,
  ...(details === undefined ? {} : { details }),
})
const unchanged = (record: TransferRecord): Step => ({
  ok: true,
  record,
  effects: [],
  changed: false,
})

const emptyLine = (sku: string): LineRecord => ({
  sku,
  sent: 0,
  received: 0,
  damaged: 0,
  short: 0,
  toWriteOff: 0,
  toReturn: 0,
  returned: 0,
  writtenOff: 0,
})

/**
 * How the receipt of an excess B received against a transfer begins its note (the transfer's id
 * follows, also its reference): B's own receipt, not the transfer's. A restore finds them by it.
 */
export const EXCESS_NOTE = 'excess on transfer '

/** Still on the road as this side knows it. */
export const inTransit = (l: LineRecord) =>
  Math.max(0, l.sent - l.received - l.writtenOff - l.returned)

/** Sent and not yet accounted for by a receipt (received, or marked to write off or return). */
const unaccounted = (l: LineRecord) => l.sent - l.received - l.toWriteOff - l.toReturn

const clone = (r: TransferRecord): TransferRecord => ({
  ...r,
  lines: r.lines.map((l) => ({ ...l })),
  receipts: [...r.receipts],
})

/**
 * One receipt line on a line record; the same rule at both sides, so that they agree on what the
 * transfer delivered. Once what was sent is known (`clamp`), a line never accounts for more than
 * was sent: received first, then damaged, then short, each within what is still unaccounted.
 * Returns what is booked as received.
 */
function account(line: LineRecord, given: ReceiptLine, clamp: boolean): number {
  const { received, damaged, short } = counted(
    given,
    clamp ? Math.max(0, unaccounted(line)) : Infinity
  )
  line.received += received.n
  line.damaged += damaged.n
  line.short += short.n
  if (given.disposition === 'return') line.toReturn += damaged.n + short.n
  else line.toWriteOff += damaged.n + short.n
  return received.n
}

/**
 * A receipt line counted within `left` (what the line has unaccounted): received, then damaged,
 * then short, each cut to what is left once those before it are counted; with what was left
 * for each (`left`). The one order both account() and the refusal of too much follow.
 */
function counted(given: ReceiptLine, left: number) {
  const take = (n: number | undefined) => {
    const before = left
    const got = Math.min(Math.max(0, n ?? 0), left)
    left -= got
    return { n: got, left: before }
  }
  const received = take(given.received)
  const damaged = take(given.damaged)
  return { received, damaged, short: take(given.short) }
}

/**
 * A final receipt: what no receipt accounted for did not arrive, short, and is written off (at A,
 * whose goods they were). Both sides apply it, so they tell the same story of the transfer.
 */
function settleFinal(record: TransferRecord): void {
  for (const line of record.lines) {
    const rest = unaccounted(line)
    if (rest > 0) {
      line.short += rest
      line.toWriteOff += rest
    }
  }
}

function lineOf(record: TransferRecord, sku: string): LineRecord {
  let line = record.lines.find((l) => l.sku === sku)
  if (!line) {
    line = emptyLine(sku)
    record.lines.push(line)
  }
  return line
}

const who = (r: TransferRecord) => r.peerName || r.peer

// ---------------------------------------------------------------------------------------------
// A, the sender.

export interface CreateInput {
  id: string
  peer: string
  peerName: string
  lines: { sku: string; quantity: number }[]
  reference?: string
  note?: string
  /** The catalogue entry of each line's item, travelling with the goods. */
  items: Record<string, { name: string; unit: string; description?: string }>
  fromName: string
}

/** POST /transfers: the goods leave (transfer_out per line) and the dispatch message is queued. */
export function create(input: CreateInput): Step {
  const record: TransferRecord = {
    id: input.id,
    direction: 'out',
    peer: input.peer,
    peerName: input.peerName,
    state: 'in_transit',
    outcome: null,
    reference: input.reference ?? '',
    note: input.note ?? '',
    reason: null,
    cause: null,
    announced: true,
    lines: input.lines.map((l) => ({ ...emptyLine(l.sku), sent: l.quantity })),
    receipts: [],
  }
  const effects: Effect[] = input.lines.map((l) => ({
    post: 'transfer_out',
    sku: l.sku,
    quantity: l.quantity,
  }))
  effects.push({
    send: 'transfer.dispatched',
    payload: {
      fromName: input.fromName,
      lines: input.lines.map((l) => ({
        sku: l.sku,
        quantity: l.quantity,
        item: input.items[l.sku],
      })),
      reference: record.reference,
      note: record.note,
    },
  })
  return { ok: true, record, effects, changed: true }
}

/** Write off what is to be written off and not yet; the rows that do it. */
function writeOffDue(record: TransferRecord, receiptId: string): Effect[] {
  const effects: Effect[] = []
  for (const line of record.lines) {
    const due = line.toWriteOff - line.writtenOff
    if (due <= 0) continue
    line.writtenOff += due
    effects.push({
      post: 'transfer_writeoff',
      sku: line.sku,
      quantity: due,
      // The row moves nothing on hand here (the goods left at dispatch): its note says how many.
      note: `${due} written off, damaged or missing: receipt ${receiptId} of ${who(record)}`,
    })
  }
  return effects
}

const returnDue = (record: TransferRecord) => record.lines.some((l) => l.toReturn - l.returned > 0)

/** Closes A's record with its outcome, once nothing is left to come back. */
function close(record: TransferRecord): void {
  const received = record.lines.some((l) => l.received > 0)
  const returned = record.lines.some((l) => l.returned > 0)
  const lost = record.lines.some((l) => l.writtenOff > 0)
  record.state = 'closed'
  record.outcome =
    record.cause === 'cancelled'
      ? 'cancelled'
      : returned
        ? received
          ? 'partially_returned'
          : 'returned'
        : lost
          ? 'delivered_with_loss'
          : 'delivered'
}

/**
 * A hears of one of B's receipts. Each receipt id once; quantities beyond what is still on the
 * road are not A's to book (B turns an excess into its own receipt when it knows the dispatch).
 * A final receipt settles the transfer: what B did not account for is lost in transit, written
 * off with what B marked to write off; what B marked to return keeps it open (returning).
 */
export function outReceived(
  current: TransferRecord,
  receipt: { receiptId: string; lines: ReceiptLine[]; final: boolean }
): Step {
  if (current.receipts.some((r) => r.receiptId === receipt.receiptId)) return unchanged(current)
  if (current.cause === 'rejected' || current.cause === 'cancelled') {
    return refuse(
      current.cause === 'rejected' ? 'TRANSFER_REJECTED' : 'TRANSFER_CANCELLED',
      `Transfer ${current.id} was ${current.cause} by ${who(current)}: a receipt cannot apply to it`
    )
  }
  if (current.receipts.some((r) => r.final)) {
    return refuse('ALREADY_FINAL', `Transfer ${current.id} has had its final receipt`)
  }
  const record = clone(current)
  for (const given of receipt.lines) {
    const line = record.lines.find((l) => l.sku === given.sku)
    if (line) account(line, given, true) // a SKU not sent is B's excess, B's own receipt
  }
  record.receipts.push({ ...receipt })
  const effects: Effect[] = [
    { receipt: { receiptId: receipt.receiptId, final: receipt.final, lines: receipt.lines } },
  ]
  if (receipt.final) {
    settleFinal(record)
    effects.push(...writeOffDue(record, receipt.receiptId))
    if (returnDue(record)) record.state = 'returning'
    else close(record)
  } else if (record.state === 'in_transit') {
    record.state = 'partially_received'
  }
  return { ok: true, record, effects, changed: true }
}

/** B refused the whole transfer (before any receipt): everything sent is to come back. */
export function outRejected(current: TransferRecord, { reason }: { reason: string }): Step {
  if (current.cause === 'rejected') return unchanged(current)
  if (current.state === 'closed' || current.receipts.length > 0) {
    return refuse(
      'ALREADY_RECEIVED',
      `Transfer ${current.id} has receipts here: ${who(current)} cannot reject it now`
    )
  }
  const record = clone(current)
  for (const line of record.lines) line.toReturn += unaccounted(line)
  record.state = 'returning'
  record.cause = 'rejected'
  record.reason = reason
  return { ok: true, record, effects: [], changed: true }
}

/** POST /transfers/:id/cancel at A: only asks; B's answer decides. */
export function requestCancel(current: TransferRecord, { reason }: { reason: string }): Step {
  if (current.direction !== 'out') {
    return refuse(
      'INVALID_TRANSFER_STATE',
      `Transfer ${current.id} comes from ${who(current)}: only its sender can cancel it; reject it instead`
    )
  }
  if (current.receipts.length > 0) {
    return refuse(
      'ALREADY_RECEIVED',
      `Transfer ${current.id} cannot be cancelled: ${who(current)} has already received against it`,
      { receipts: current.receipts.map((r) => r.receiptId) }
    )
  }
  if (current.state !== 'in_transit') {
    const why =
      current.state === 'cancel_requested'
        ? `its cancel is already asked of ${who(current)}, awaiting the answer`
        : `it is ${current.state.replace('_', ' ')}`
    return refuse('INVALID_TRANSFER_STATE', `Transfer ${current.id} cannot be cancelled: ${why}`)
  }
  const record = clone(current)
  record.state = 'cancel_requested'
  record.reason = reason
  return {
    ok: true,
    record,
    effects: [{ send: 'transfer.cancel_requested', payload: { reason } }],
    changed: true,
  }
}

/**
 * B agreed: it will refuse any receipt; everything sent is to come back. Taken also in transit
 * with nothing received: a sender restored after its disk died may have lost its request, and B
 * tells its acceptance again (toldAgain); B accepts only a cancel asked, and never after a receipt.
 */
export function cancelAccepted(current: TransferRecord): Step {
  const lostRequest =
    current.state === 'in_transit' && current.receipts.length === 0 && current.cause === null
  if (current.state !== 'cancel_requested' && !lostRequest) return unchanged(current)
  const record = clone(current)
  for (const line of record.lines) line.toReturn += unaccounted(line)
  record.state = 'returning'
  record.cause = 'cancelled'
  return { ok: true, record, effects: [], changed: true }
}

/** B refused (it had received): the transfer goes on where it was. */
export function cancelRefused(current: TransferRecord, { reason }: { reason: string }): Step {
  if (current.state !== 'cancel_requested') return unchanged(current)
  const record = clone(current)
  record.state = current.receipts.length > 0 ? 'partially_received' : 'in_transit'
  record.reason = `cancel refused by ${who(current)}: ${reason}`
  return { ok: true, record, effects: [], changed: true }
}

type DueBackInput = { lines?: { sku: string; quantity: number }[]; note?: string }

/**
 * What is asked of goods due back to A (to come back after a rejection, an accepted cancel or a
 * return disposition, and not yet booked back): the lines given, or all that is due; or the
 * refusal. `verb` and `done` say what is done with them, for the refusals.
 */
function dueBackAsked(
  current: TransferRecord,
  input: DueBackInput,
  [verb, done]: readonly [string, string]
): { sku: string; quantity: number }[] | Step {
  if (current.direction !== 'out') {
    return refuse(
      'INVALID_TRANSFER_STATE',
      `Transfer ${current.id} comes from ${who(current)}: goods are ${done} by their sender`
    )
  }
  const due = new Map(current.lines.map((l) => [l.sku, l.toReturn - l.returned]))
  if (![...due.values()].some((n) => n > 0)) {
    return refuse(
      'INVALID_TRANSFER_STATE',
      `Transfer ${current.id} has nothing to come back (${current.state.replace('_', ' ')})`
    )
  }
  const asked =
    input.lines ?? [...due].filter(([, n]) => n > 0).map(([sku, quantity]) => ({ sku, quantity }))
  const strangers = asked.filter((l) => !due.has(l.sku))
  if (strangers.length > 0) {
    const skus = strangers.map((l) => l.sku)
    return refuse(
      'VALIDATION_FAILED',
      `${skus.join(', ')} ${skus.length === 1 ? 'is' : 'are'} not on transfer ${current.id}`,
      strangers.map((l) => ({ path: 'lines', message: `${l.sku} is not on this transfer` }))
    )
  }
  const over = asked.filter((l) => l.quantity > (due.get(l.sku) ?? 0))
  if (over.length > 0) {
    return refuse(
      'EXCEEDS_IN_TRANSIT',
      `Cannot ${verb} more than is to come back: ${over
        .map((l) => `${l.sku} ${l.quantity} of ${Math.max(0, due.get(l.sku) ?? 0)}`)
        .join(', ')}`,
      over.map((l) => ({
        sku: l.sku,
        requested: l.quantity,
        due: Math.max(0, due.get(l.sku) ?? 0),
      }))
    )
  }
  return asked
}

/** Closes A's record once a final receipt (or a rejection, a cancel) came and nothing is due back. */
function closeIfSettled(record: TransferRecord): void {
  const finished = record.receipts.some((r) => r.final) || record.cause !== null
  if (finished && !returnDue(record)) close(record)
}

/**
 * POST /transfers/:id/return at A: books back (transfer_return rows) goods that came back, all
 * that is due without lines. Closes the transfer once nothing more is due and no receipt is to come.
 */
export function bookReturn(current: TransferRecord, input: DueBackInput): Step {
  const asked = dueBackAsked(current, input, ['book back', 'booked back'])
  if (!Array.isArray(asked)) return asked
  const record = clone(current)
  const effects: Effect[] = []
  for (const { sku, quantity } of asked) {
    lineOf(record, sku).returned += quantity
    effects.push({ post: 'transfer_return', sku, quantity, note: input.note })
  }
  closeIfSettled(record)
  return { ok: true, record, effects, changed: true }
}

/**
 * POST /transfers/:id/write-off at A: goods a receipt marked to come back that will not (missing
 * ones the receiver marked to return, damaged ones lost on the way back) are written off (transfer_writeoff
 * rows, which move nothing on hand: the goods left at dispatch), all that is due without lines.
 * Without it they would stay in transit for ever. Closes the transfer as bookReturn does.
 */
export function writeOffDueBack(current: TransferRecord, input: DueBackInput): Step {
  // Refused or cancelled whole, the goods were never taken in there: they come back as they left.
  if (current.direction === 'out' && current.cause !== null) {
    return refuse(
      'INVALID_TRANSFER_STATE',
      `Transfer ${current.id} was ${current.cause} by ${who(current)}: its goods come back whole; book them back as they arrive`
    )
  }
  const asked = dueBackAsked(current, input, ['write off', 'written off'])
  if (!Array.isArray(asked)) return asked
  const record = clone(current)
  const effects: Effect[] = []
  for (const { sku, quantity } of asked) {
    const line = lineOf(record, sku)
    line.toReturn -= quantity
    line.toWriteOff += quantity
    line.writtenOff += quantity
    const said = input.note ? `: ${input.note}` : ''
    effects.push({
      post: 'transfer_writeoff',
      sku,
      quantity,
      note: `${quantity} written off, due back from ${who(record)} and not come back${said}`,
    })
  }
  closeIfSettled(record)
  return { ok: true, record, effects, changed: true }
}

// ---------------------------------------------------------------------------------------------
// B, the receiver.

/** B's record of a transfer it hears of for the first time (by a message, or its own receipt). */
function incoming(
  id: string,
  peer: string,
  peerName: string,
  state: InState,
  announced: boolean
): TransferRecord {
  return {
    id,
    direction: 'in',
    peer,
    peerName,
    state,
    outcome: null,
    reference: '',
    note: '',
    reason: null,
    cause: null,
    announced,
    lines: [],
    receipts: [],
  }
}

export interface DispatchInput {
  id: string
  peer: string
  peerName: string
  lines: { sku: string; quantity: number }[]
  reference: string
  note: string
}

/** The state at B from its record: announced or not, then its receipts. */
function inState(record: TransferRecord): InState {
  if (record.state === 'rejected' || record.state === 'cancelled') return record.state
  if (!record.announced) return 'unannounced'
  if (record.receipts.some((r) => r.final)) return 'received'
  return record.receipts.length > 0 ? 'partially_received' : 'announced'
}

/**
 * A's dispatch arrives at B. Before any receipt: the transfer is announced. After B received
 * against the id (the truck beat the network): the lines learn what was sent, and whatever B
 * booked beyond it becomes B's own receipt (transfer_in −x, receipt +x: on hand unchanged).
 */
export function dispatched(current: TransferRecord | null, input: DispatchInput): Step {
  if (current?.announced) return unchanged(current)
  const record: TransferRecord = current
    ? clone(current)
    : incoming(input.id, input.peer, input.peerName, 'announced', false)
  record.announced = true
  record.peerName = input.peerName || record.peerName
  record.reference = input.reference
  record.note = input.note
  // The receipts again, in their order, under the rule A applies them by (`account`): what B
  // booked beyond it is its own receipt.
  const booked = new Map(record.lines.map((l) => [l.sku, l.received]))
  record.lines = input.lines.map(({ sku, quantity }) => ({ ...emptyLine(sku), sent: quantity }))
  for (const receipt of record.receipts) {
    for (const given of receipt.lines) account(lineOf(record, given.sku), given, true)
  }
  if (record.receipts.some((r) => r.final)) settleFinal(record)
  const effects: Effect[] = []
  for (const [sku, before] of booked) {
    const excess = before - (record.lines.find((l) => l.sku === sku)?.received ?? 0)
    if (excess <= 0) continue
    const note = `${EXCESS_NOTE}${record.id}`
    // The receipt first: B may have issued the goods since, and on hand never goes below zero.
    effects.push({ post: 'receipt', sku, quantity: excess, note, reference: record.id })
    effects.push({ post: 'transfer_in', sku, quantity: -excess, note })
  }
  record.state = inState(record)
  return { ok: true, record, effects, changed: true }
}

/**
 * With what was sent known: damaged or short goods beyond what the line still has unaccounted
 * for, once the goods received are counted first, are refused (they would be cut down to it,
 * unsaid). Goods received beyond it are real goods, and B's own receipt (see receive).
 */
function beyondWhatIsLeft(record: TransferRecord, lines: ReceiptLine[]): Step | null {
  for (const [index, given] of lines.entries()) {
    const line = record.lines.find((l) => l.sku === given.sku)
    const sent = line?.sent ?? 0
    const left = line ? Math.max(0, unaccounted(line)) : 0
    const within = counted(given, left)
    for (const field of ['damaged', 'short'] as const) {
      const n = given[field] ?? 0
      const rest = within[field].left
      if (n <= rest) continue
      const before = sent - left
      const earlier = before > 0 ? `, ${before} accounted for by earlier receipts` : ''
      const damaged = field === 'short' && given.damaged ? ` and ${given.damaged} damaged` : ''
      const problem = `is more than the ${rest} left of the ${sent} sent${earlier}, after the ${given.received} received${damaged}`
      return refuse('VALIDATION_FAILED', `${given.sku}: ${n} ${field} ${problem}: count again`, [
        { path: `lines.${index}.${field}`, message: problem },
      ])
    }
  }
  return null
}

/** Whether a receipt given again says what was recorded under its id: lines and final. */
function sameReceipt(recorded: TransferRecord['receipts'][number], input: ReceiveInput): boolean {
  const told = (lines: ReceiptLine[]) =>
    JSON.stringify(
      [...lines]
        .sort((a, b) => (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0))
        .map((l) => {
          const rest = (l.damaged ?? 0) + (l.short ?? 0)
          // A disposition or reason says nothing on a line with nothing damaged or short.
          const said: unknown[] = [l.sku, l.received, l.damaged ?? 0, l.short ?? 0]
          return rest > 0 ? [...said, l.disposition ?? null, l.reason ?? null] : said
        })
    )
  return recorded.final === input.final && told(recorded.lines) === told(input.lines)
}

/** Receipts one transfer takes, its final one included. */
export const MAX_RECEIPTS = 200

export interface ReceiveInput {
  id: string
  /** A, when B receives before the dispatch has arrived. */
  peer?: string
  peerName?: string
  receiptId: string
  lines: ReceiptLine[]
  final: boolean
}

/**
 * POST /transfers/:id/receive at B. Goods received enter on hand (transfer_in); damaged and
 * short are told to A with their disposition. With the dispatch known, what goes beyond what is
 * still expected is B's own receipt, never the transfer's.
 */
export function receive(current: TransferRecord | null, input: ReceiveInput): Step {
  const recorded = current?.receipts.find((r) => r.receiptId === input.receiptId)
  if (current && recorded && current.direction === 'in') {
    // The same receipt again (a retry): as it was. The same id with other counts is another
    // receipt under a taken id: said, never answered with the first as if it were this one.
    if (sameReceipt(recorded, input)) return unchanged(current)
    return refuse(
      'CONFLICT',
      `Receipt ${input.receiptId} of transfer ${current.id} was recorded with other lines: give this receipt an id of its own, or send it as it was recorded`,
      { receipt: recorded }
    )
  }
  if (current && current.direction !== 'in') {
    return refuse(
      'INVALID_TRANSFER_STATE',
      `Transfer ${current.id} was sent from here to ${who(current)}: it is received there`
    )
  }
  if (current?.state === 'cancelled') {
    return refuse(
      'TRANSFER_CANCELLED',
      `Transfer ${current.id} was cancelled by ${who(current)}: send the goods back, or have them sent as a new transfer`
    )
  }
  if (current?.state === 'rejected') {
    return refuse(
      'TRANSFER_REJECTED',
      `Transfer ${current.id} was rejected here: its goods go back to ${who(current)}`
    )
  }
  if (current?.receipts.some((r) => r.final)) {
    return refuse('ALREADY_FINAL', `Transfer ${current.id} has had its final receipt`)
  }
  // Each change of a transfer logs it with its receipts, lines and all (and the other side
  // records them too): one received in instalments without end would grow its events past what a
  // peer's feed carries. The last receipt a transfer takes is its final one.
  if (current && !input.final && current.receipts.length >= MAX_RECEIPTS - 1) {
    return refuse(
      'CONFLICT',
      `Transfer ${current.id} has had ${current.receipts.length} receipts, as many as it takes before its final one: record what else came as its final receipt (final: true)`
    )
  }
  if (!current && !input.peer) {
    return refuse(
      'VALIDATION_FAILED',
      `Transfer ${input.id} is not known here yet: say which warehouse sent it (from)`,
      [{ path: 'from', message: 'is required until the transfer is known here' }]
    )
  }
  const record: TransferRecord = current
    ? clone(current)
    : incoming(input.id, input.peer ?? '', input.peerName ?? '', 'unannounced', false)
  if (record.announced) {
    const over = beyondWhatIsLeft(record, input.lines)
    if (over) return over
  }
  const effects: Effect[] = []
  for (const given of input.lines) {
    const booked = account(lineOf(record, given.sku), given, record.announced)
    if (booked > 0) effects.push({ post: 'transfer_in', sku: given.sku, quantity: booked })
    const excess = given.received - booked
    if (excess > 0) {
      const note = `${EXCESS_NOTE}${record.id}`
      effects.push({
        post: 'receipt',
        sku: given.sku,
        quantity: excess,
        note,
        reference: record.id,
      })
    }
  }
  record.receipts.push({ receiptId: input.receiptId, final: input.final, lines: input.lines })
  // What was sent is known only once the dispatch has come (dispatched() settles it then).
  if (input.final && record.announced) settleFinal(record)
  effects.push({ receipt: { receiptId: input.receiptId, final: input.final, lines: input.lines } })
  effects.push({
    send: 'transfer.received',
    payload: { receiptId: input.receiptId, lines: input.lines, final: input.final },
  })
  record.state = inState(record)
  return { ok: true, record, effects, changed: true }
}

/**
 * POST /transfers/:id/reject at B: the whole transfer refused, before any receipt. Or after
 * receipts made before the dispatch arrived, once the sender they name has refused them
 * (`senderRefused`: it has no such transfer with this warehouse — a wrong id or sender on the
 * delivery note, or a transfer lost with the sender's disk): what they booked comes off on hand
 * again, and nothing is sent, the sender knowing nothing of it.
 */
export function reject(
  current: TransferRecord,
  { reason }: { reason: string },
  senderRefused = false
): Step {
  if (current.direction !== 'in') {
    return refuse(
      'INVALID_TRANSFER_STATE',
      `Transfer ${current.id} was sent from here: only ${who(current)} can reject it; cancel it instead`
    )
  }
  if (current.state === 'rejected') return unchanged(current)
  if (current.state === 'cancelled') {
    return refuse('TRANSFER_CANCELLED', `Transfer ${current.id} was cancelled by ${who(current)}`)
  }
  if (current.receipts.length > 0 && !current.announced && senderRefused) {
    return undoReceipts(current, reason)
  }
  if (current.receipts.length > 0) {
    const unless = current.announced
      ? ''
      : ` (and ${who(current)} has not refused them: rejecting undoes them only once it has)`
    return refuse(
      'ALREADY_RECEIVED',
      `Transfer ${current.id} cannot be rejected: goods were already received against it${unless}`,
      { receipts: current.receipts.map((r) => r.receiptId) }
    )
  }
  const record = clone(current)
  record.state = 'rejected'
  record.reason = reason
  return {
    ok: true,
    record,
    effects: [{ send: 'transfer.rejected', payload: { reason } }],
    changed: true,
  }
}

/**
 * B's record of receipts undone because their sender refused them: it stands for nothing any
 * more, and gives way to the first real news of the id (a dispatch, a cancel, a receipt naming
 * the right sender), which starts the record afresh.
 */
export function undone(record: TransferRecord): boolean {
  return record.direction === 'in' && record.state === 'rejected' && !record.announced
}

/** Receipts the sender refused, undone: what they put on hand comes off (transfer_in below zero). */
function undoReceipts(current: TransferRecord, reason: string): Step {
  const record = clone(current)
  const note = `receipt undone: ${who(current)} has no transfer ${current.id} with this warehouse`
  const effects: Effect[] = []
  for (const line of record.lines) {
    if (line.received > 0) {
      effects.push({ post: 'transfer_in', sku: line.sku, quantity: -line.received, note })
    }
    Object.assign(line, { received: 0, damaged: 0, short: 0, toWriteOff: 0, toReturn: 0 })
  }
  record.state = 'rejected'
  record.reason = reason
  return { ok: true, record, effects, changed: true }
}

/**
 * B's answer to a cancel asked after its receipts, naming them: as many as keep the reason within
 * what a message's reason may hold (1,000 characters; a receipt id up to 100).
 */
function refuseCancel(record: TransferRecord): Effect {
  const ids = record.receipts.map((r) => r.receiptId)
  let shown = 0
  for (let length = 0; shown < ids.length; shown++) {
    length += ids[shown].length + (shown > 0 ? 2 : 0)
    if (length > 800 && shown > 0) break
  }
  const more = shown < ids.length ? ` and ${ids.length - shown} more` : ''
  const reason = `goods were already received against it (${ids.slice(0, shown).join(', ')}${more})`
  return { send: 'transfer.cancel_refused', payload: { reason } }
}

/**
 * A asks B to cancel. With no receipt, B accepts and will refuse any later one (T6); after a
 * receipt it refuses, and changes nothing. Asked again, it answers again the same way.
 */
export function cancelRequested(
  current: TransferRecord | null,
  input: { id: string; peer: string; peerName: string; reason: string }
): Step {
  if (current && current.receipts.length > 0) {
    return { ok: true, record: current, effects: [refuseCancel(current)], changed: false }
  }
  if (current?.state === 'rejected') return unchanged(current) // A learns it from the rejection
  const accepted: Effect[] = [{ send: 'transfer.cancel_accepted', payload: {} }]
  if (current?.state === 'cancelled')
    return { ok: true, record: current, effects: accepted, changed: false }
  const record: TransferRecord = current
    ? clone(current)
    : // A cancel before the dispatch: the dispatch, when it comes, changes nothing.
      incoming(input.id, input.peer, input.peerName, 'cancelled', true)
  record.state = 'cancelled'
  record.reason = input.reason
  return { ok: true, record, effects: accepted, changed: true }
}

// ---------------------------------------------------------------------------------------------
// Told again.

/** What a dispatch says of the sender and its items, which the record does not hold. */
export type Sender = Pick<CreateInput, 'fromName' | 'items'>

/**
 * The messages of this side's own steps that its peer may lack, rebuilt from the record: for a
 * node whose outbox and inbox were lost with its disk (restored from its peers' replicas of its
 * log), or a peer that was. Each is a fact the peer's side takes once, whatever the message's id:
 * a dispatch changes nothing once announced, a receipt counts once by its id, a rejection once,
 * a cancel asked again is answered again, and an answer to a cancel counts only while A waits on
 * one. A's: the dispatch while the transfer is open, and the cancel while it waits on it. B's: its
 * rejection, its acceptance of a cancel, or every receipt (the sender counts each once) and the
 * refusal of a cancel after them; nothing for receipts undone (their sender has no such transfer).
 */
export function toldAgain(record: TransferRecord, sender: Sender): Effect[] {
  if (record.direction === 'out') {
    if (record.state === 'closed') return []
    const effects: Effect[] = [
      {
        send: 'transfer.dispatched',
        payload: {
          fromName: sender.fromName,
          lines: record.lines
            .filter((l) => l.sent > 0)
            .map((l) => ({ sku: l.sku, quantity: l.sent, item: sender.items[l.sku] })),
          reference: record.reference,
          note: record.note,
        },
      },
    ]
    if (record.state === 'cancel_requested') {
      effects.push({ send: 'transfer.cancel_requested', payload: { reason: record.reason ?? '' } })
    }
    return effects
  }
  if (undone(record)) return []
  if (record.state === 'rejected') {
    return [{ send: 'transfer.rejected', payload: { reason: record.reason ?? '' } }]
  }
  if (record.state === 'cancelled') return [{ send: 'transfer.cancel_accepted', payload: {} }]
  const effects: Effect[] = record.receipts.map((r) => ({
    send: 'transfer.received' as const,
    payload: { receiptId: r.receiptId, lines: r.lines, final: r.final },
  }))
  // A cancel A may have asked, and whose refusal was lost: refused again (A takes it only while
  // it waits on one).
  if (record.receipts.length > 0) effects.push(refuseCancel(record))
  return effects
}
