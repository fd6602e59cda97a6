// When an item's unit may change: not once quantities of it are counted in a unit. Those are the
// ledger's rows, and the transfers this node has not yet settled: a transfer's lines count the
// item in the unit it had when the goods left (the sender's; at the receiver, the unit its
// dispatch named), and the receiver books them in its own, so the two must stay the same until
// the transfer is settled. Shared by PATCH /items/:sku (items.update) and the import's updates.
import type { Sql } from '../sql.ts'

/** A transfer not yet settled here with a line of the item, and the unit that line counts in. */
export interface OpenLine {
  id: string
  direction: 'out' | 'in'
  peerName: string
  /** The dispatch's unit at the receiver; null where the item's own unit is the one counted. */
  unit: string | null
}

/** What fixes the units of some items: rows in the ledger, transfers not yet settled. */
export interface Counted {
  moved: Set<string>
  open: Map<string, OpenLine[]>
}

// Not yet settled: at the sender, what is in transit (sent less received, written off and booked
// back, as GET /stock counts it) on a transfer not closed; at the receiver, what is still to arrive
// on a transfer neither received in full, rejected nor cancelled (before the dispatch, all of it).
const OPEN_LINES = `SELECT l.sku, t.id, t.direction, coalesce(nullif(t.peer_name, ''), t.peer) AS peerName,
    l.unit
  FROM transfer_lines l JOIN transfers t ON t.id = l.transfer_id
  WHERE l.sku IN (SELECT value FROM json_each(?)) AND CASE t.direction
    WHEN 'out' THEN t.state <> 'closed' AND l.sent - l.received - l.written_off - l.returned > 0
    ELSE t.state IN ('announced', 'unannounced', 'partially_received')
      AND (t.announced = 0 OR l.sent - l.received - l.to_write_off - l.to_return > 0) END
  ORDER BY t.created_at, t.id`

export async function countedOf(sql: Sql, skus: string[]): Promise<Counted> {
  const json = JSON.stringify(skus)
  const moved = await sql.all<{ sku: string }>(
    `SELECT value AS sku FROM json_each(?) j
     WHERE EXISTS (SELECT 1 FROM movements m WHERE m.sku = j.value)`,
    [json]
  )
  const open = new Map<string, OpenLine[]>()
  for (const { sku, ...line } of await sql.all<OpenLine & { sku: string }>(OPEN_LINES, [json])) {
    open.set(sku, [...(open.get(sku) ?? []), line])
  }
  return { moved: new Set(moved.map((r) => r.sku)), open }
}

/**
 * Why the unit of `sku` cannot change from `from` to `to`, or null when it can: never once it
 * has movements; not while a transfer not yet settled counts it in another unit than `to` (so a
 * receiver whose unit differs from the dispatch's may still take the dispatch's).
 */
export function unitChangeRefused(
  sku: string,
  from: string,
  to: string,
  counted: Counted
): string | null {
  const cannot = `The unit of ${sku} cannot change from ${from} to ${to}`
  if (counted.moved.has(sku)) return `${cannot}: it already has movements counted in ${from}`
  const against = (counted.open.get(sku) ?? []).filter((l) => (l.unit ?? from) !== to)
  if (against.length === 0) return null
  const named = (l: OpenLine) =>
    `${l.id} ${l.direction === 'out' ? 'to' : 'from'} ${l.peerName} (counted in ${l.unit ?? from})`
  const shown = against.slice(0, 3).map(named).join(', ')
  const more = against.length > 3 ? ` and ${against.length - 3} more` : ''
  return against.length === 1
    ? `${cannot}: it is on transfer ${shown}, which is not yet settled`
    : `${cannot}: it is on transfers ${shown}${more}, which are not yet settled`
}
