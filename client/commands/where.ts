import type { NetworkStockOne, WarehouseFigure, WarehouseStatus } from '../../api/index.ts'
import { skuPath } from '../api.ts'
import { askParsed } from '../ask.ts'
import { parsed, positionals, type Command } from '../command.ts'
import { EXIT, NodeRefusal } from '../errors.ts'
import { plural } from '../format.ts'
import * as input from '../input.ts'
import { printJson, type Io } from '../io.ts'
import { table } from '../table.ts'

const REASONS: Record<NonNullable<WarehouseStatus['reason']>, string> = {
  down: 'down',
  timed_out: 'did not answer in time',
  left: 'left the network',
  refused: 'refused to answer',
  reaped: 'no longer a member',
}

/** "45 s", "3 min", "2 h", "4 d": how old a replica's figure is. */
export function age(ms: number): string {
  const s = ms / 1000
  if (s < 60) return `${Math.floor(s)} s`
  if (s < 3600) return `${Math.floor(s / 60)} min`
  if (s < 2 * 86400) return `${Math.floor(s / 3600)} h`
  return `${Math.floor(s / 86400)} d`
}

/** Where a warehouse's figure comes from, in words: live, or how old and why. */
function sourceOf(w: WarehouseStatus): string {
  if (w.source === 'live') return w.disputed ? `LIVE, DISPUTED: ${w.disputed}` : 'live'
  // A reason newer than this client is shown as the node names it.
  const why = REASONS[w.reason ?? 'down'] ?? w.reason
  // What happened, when it adds to the reason: "connection refused", a signature that failed.
  const said = w.detail && (w.reason === 'down' || w.reason === 'refused') ? ` (${w.detail})` : ''
  if (w.source === 'none') return `NO FIGURE: ${why}${said}`
  const old = w.ageMs === null ? 'never caught up' : `${age(w.ageMs)} old`
  const behind = w.rowsBehind ? `, ${plural(w.rowsBehind, 'movement')} behind` : ''
  const disputed = w.disputed ? `; DISPUTED: ${w.disputed}` : ''
  return `REPLICA, ${old}${behind}: ${why}${said}${disputed}`
}

const amount = (n: number, unit: string | null) => (unit ? `${n} ${unit}` : `${n} (unit unknown)`)

function rows(answer: NetworkStockOne) {
  const figures = new Map<string, WarehouseFigure>(answer.figures.map((f) => [f.node.id, f]))
  return answer.warehouses.map((w) => {
    const f = figures.get(w.node.id)
    const missing = w.source === 'none' ? '?' : 'not stocked'
    return {
      name: w.node.self ? `${w.node.name} (this node)` : w.node.name,
      onHand: f ? f.onHand : missing,
      unit: f ? (f.unit ?? '(unknown)') : '',
      low: f?.low ? 'low' : '',
      w,
    }
  })
}

/** The total, or the totals per unit when warehouses count the SKU in different units. */
function totalLine(a: NetworkStockOne): string {
  if (a.unitsDiffer) {
    const each = a.byUnit.map(
      (u) => `${amount(u.onHand, u.unit)} (${plural(u.warehouses, 'warehouse')})`
    )
    return `Total: the warehouses count it in different units, not added together: ${each.join(', ')}`
  }
  const { onHand, liveOnHand, unit, inTransit, onHandPlusInTransit } = a.total
  const live = liveOnHand === onHand ? '' : ` (${amount(liveOnHand ?? 0, unit)} of it live)`
  // Goods on the road are the company's too: "how much do we have" counts them.
  const road = inTransit
    ? `, and ${amount(inTransit, unit)} in transit: ${amount(onHandPlusInTransit ?? 0, unit)} in all`
    : ''
  return `Total: ${amount(onHand ?? 0, unit)}${live}${road}`
}

/** The warning no one may miss: which warehouses are not live, and whether the deadline passed. */
export function incompleteLine(a: NetworkStockOne): string | undefined {
  if (a.complete) return undefined
  const { total, live, replica, missing } = a.counts
  const parts = [`${live} of ${total} warehouses answered live`]
  if (replica) parts.push(`${replica} from a replica`)
  if (missing) parts.push(`${missing} with no figure at all`)
  const disputed = a.warehouses.filter((w) => w.disputed).length
  if (disputed) parts.push(`${disputed} disputed (its ledger halted, or its copy here broke)`)
  const late = a.timedOut ? `; the deadline of ${a.deadlineMs} ms passed` : ''
  return `!! INCOMPLETE: ${parts.join(', ')}${late}. The total may be wrong.`
}

function show(io: Io, a: NetworkStockOne) {
  io.print(`${a.sku}${a.name ? ` ${a.name}` : ''}: ${plural(a.counts.total, 'warehouse')}`)
  io.print(
    table(
      rows(a),
      [
        { header: 'WAREHOUSE', value: (r) => r.name },
        { header: 'ON HAND', value: (r) => r.onHand, align: 'right' },
        { header: 'UNIT', value: (r) => r.unit },
        { header: 'LOW', value: (r) => r.low },
        { header: 'SOURCE', value: (r) => sourceOf(r.w), shrink: true },
      ],
      io.columns
    )
  )
  io.print(totalLine(a))
  const warning = incompleteLine(a)
  if (warning) io.print(warning)
}

async function lookUp(io: Io, sku: string): Promise<boolean> {
  const answer = await io.api.get<NetworkStockOne>(`/network/stock/${skuPath(sku)}`)
  if (io.json) printJson(io, answer)
  else show(io, answer)
  return answer.complete
}

export const where: Command = {
  name: 'where',
  summary: 'where a SKU is in every warehouse, and the total',
  synopsis: 'SKU',
  description:
    'Asks every warehouse of the peer network at once (2 s at most) for SKU: each one with its figure, live or from this node’s replica of its ledger (how old, and why it did not answer), then the total. Warehouses that count the SKU in different units are totalled per unit, never added. Exit 0 when every warehouse answered live; exit 1, with a warning, when any did not, or one is disputed (its ledger halted, or its copy here broke: the total may be wrong).',
  examples: ['almacen where BOLT-M8', 'almacen where BOLT-M8 --json'],
  async run(io, args) {
    const [text] = positionals(args, ['SKU'])
    const complete = await lookUp(io, parsed(input.sku, text!, 'SKU'))
    return complete ? EXIT.ok : EXIT.refused
  },
}

/** A SKU, or nothing (Enter on nothing: done). */
const skuOrNothing = (text: string) => (text.trim() === '' ? '' : input.sku(text))

/**
 * Where is it? (main menu): one SKU after another, each answered before the next is asked (a
 * scanner's codes, one by one), until Enter on nothing goes back to the menu.
 */
export async function whereIsIt(io: Io) {
  for (let asked = 0; ; asked++) {
    const message =
      asked === 0 ? 'SKU (Enter on nothing: back)' : 'Next SKU (Enter on nothing: back)'
    const sku = await askParsed(io, message, skuOrNothing, 'SKU')
    if (!sku) return
    try {
      await lookUp(io, sku)
    } catch (err) {
      // A code no warehouse has: said, and the next one asked for (each scan stands alone: the
      // codes scanned after it are kept for the questions to come).
      if (!(err instanceof NodeRefusal) || err.status !== 404) throw err
      io.print(`✖ ${err.message}`)
    }
  }
}
