// What the transfer commands share: SKU QTY pairs from the command line, a transfer's ID and a
// --reason, the path of one transfer, the transfers this warehouse still has to receive, and
// those that may wait on a person's step.
import type { Transfer, TransferDetail, TransferPage, TransferState } from '../api/index.ts'
import { listedStep, stepOn } from '../api/transfer-steps.ts'
import type { Api } from './api.ts'
import { optional, parsed, type Args } from './command.ts'
import { UsageError } from './errors.ts'
import * as input from './input.ts'
import { note } from './movement.ts'

export const transferPath = (id: string) => `/transfers/${encodeURIComponent(id)}`

const MAX_LINES = 500

/** `ID --reason TEXT`, nothing more: a step on one transfer that says why. */
export function idAndReason(args: Args): { id: string; reason: string } {
  const [text, ...rest] = args.positionals
  if (text === undefined) throw new UsageError('missing ID')
  if (rest.length) throw new UsageError(`unexpected argument "${rest.join(' ')}"`)
  const id = parsed(input.transferId, text, 'ID')
  const reason = optional(args, 'reason', note)
  if (reason === undefined) throw new UsageError('missing --reason: say why')
  return { id, reason }
}

/** `SKU QTY [SKU QTY…]` as lines, each SKU once; mistakes name the word at fault. */
export function skuQuantities(words: string[]): { sku: string; quantity: number }[] {
  // The node's own limit, caught before anything is sent.
  if (words.length > 2 * MAX_LINES) {
    throw new UsageError(`a transfer has at most ${MAX_LINES} lines, not ${words.length / 2}`)
  }
  if (words.length % 2) {
    throw new UsageError(`each SKU needs a quantity after it: "${words.at(-1)}" has none`)
  }
  const lines: { sku: string; quantity: number }[] = []
  for (let i = 0; i < words.length; i += 2) {
    const sku = parsed(input.sku, words[i], 'SKU')
    if (lines.some((l) => l.sku === sku)) throw new UsageError(`${sku} is given twice`)
    lines.push({ sku, quantity: parsed(input.quantity, words[i + 1], `the QTY of ${sku}`) })
  }
  return lines
}

/**
 * B's transfers with goods known to be on their way: announced, or received in part. Not those
 * received before their dispatch message (unannounced): what is still to come is not known.
 */
const WAITING = ['announced', 'partially_received'] as const

/** Transfers from other warehouses that this one has still to receive, newest first. */
export function incomingTransfers(api: Api): Promise<Transfer[]> {
  return transfersIn(
    api,
    WAITING.map((state) => ['in', state] as const)
  )
}

/**
 * The states in which a transfer may wait on a person's step here (api/transfer-steps.ts): B
 * rejects or undoes, A asks to cancel or books back what is coming back.
 */
const STEPS_WAIT_IN = [
  ['in', 'announced'],
  ['in', 'unannounced'],
  ['out', 'in_transit'],
  ['out', 'partially_received'],
  ['out', 'cancel_requested'],
  ['out', 'returning'],
] as const

/** Requests for transfers' details in flight at once while the list is made. */
const DETAILS_AT_ONCE = 4

/**
 * Transfers that wait on a person's step here, newest first. An unannounced one (received before
 * its sender's message) does only once the sender has refused its receipts: its messages say.
 */
export async function transfersWaitingOnStep(api: Api): Promise<Transfer[]> {
  const listed = (await transfersIn(api, STEPS_WAIT_IN)).filter((t) => listedStep(t) !== null)
  // The unannounced ones' details, a few at a time: a node is not sent hundreds of requests at
  // once by one person opening a list.
  const unannounced = listed.filter((t) => t.state === 'unannounced')
  const refused = new Set<string>()
  for (let i = 0; i < unannounced.length; i += DETAILS_AT_ONCE) {
    const some = unannounced.slice(i, i + DETAILS_AT_ONCE)
    const details = await Promise.all(some.map((t) => api.get<TransferDetail>(transferPath(t.id))))
    for (const detail of details) if (stepOn(detail) === 'undo') refused.add(detail.id)
  }
  return listed.filter((t) => t.state !== 'unannounced' || refused.has(t.id))
}

/** The transfers in each (direction, state), up to 500 of each, newest first. */
async function transfersIn(
  api: Api,
  states: readonly (readonly ['in' | 'out', TransferState])[]
): Promise<Transfer[]> {
  const pages = await Promise.all(
    states.map(([direction, state]) =>
      api.get<TransferPage>('/transfers', { direction, state, limit: 500 })
    )
  )
  return pages.flatMap((p) => p.transfers).sort((a, b) => b.createdAt.localeCompare(a.createdAt))
}
