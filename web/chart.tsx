// One item's stock here over time (GET /movements?sku=): each movement's balance after it, drawn
// as steps up to now; a movement recorded meanwhile redraws it (the event stream). Plain SVG:
// a chart library would weigh more than the rest of the client.
import { useEffect, useState } from 'preact/hooks'
import type { Movement, MovementPage, NodeEvent } from '../api/index.ts'
import { call } from './api.ts'
import type { Words } from './i18n.ts'
import { follow } from './live.ts'

/** The most recent movements drawn. */
const LAST = 200
const [W, H, PAD] = [600, 180, 34]

export function StockChart(props: { sku: string; words: Words; onRefused(s: string): void }) {
  const { sku, words } = props
  const [rows, setRows] = useState<Movement[] | null>(null)

  useEffect(() => {
    const load = () =>
      call<MovementPage>(`/movements?sku=${encodeURIComponent(sku)}&order=desc&limit=${LAST}`).then(
        (page) => setRows(page.movements.reverse()),
        () => undefined
      )
    void load()
    return follow({
      types: ['movement.recorded'],
      onRefused: props.onRefused,
      onConnected: () => undefined,
      onEvent: (event: NodeEvent) => void (event.subject === sku && load()),
    })
  }, [sku])

  if (!rows) return null
  if (rows.length === 0) return <p class="hint">{words.chartNone}</p>
  const times = rows.map((r) => Date.parse(r.createdAt))
  const [first, now] = [times[0], Math.max(Date.now(), times[times.length - 1] + 1)]
  const top = Math.max(1, ...rows.map((r) => r.balanceAfter))
  const x = (at: number) => PAD + ((at - first) / (now - first)) * (W - 2 * PAD)
  const y = (value: number) => H - PAD + 10 - (value / top) * (H - PAD - 10)
  // Steps: the balance holds until the next movement, and the last one until now.
  const points = rows.flatMap((r, i) => {
    const until = i + 1 < rows.length ? times[i + 1] : now
    return [`${x(times[i])},${y(r.balanceAfter)}`, `${x(until)},${y(r.balanceAfter)}`]
  })
  const last = rows[rows.length - 1]
  const day = (at: number) =>
    new Date(at).toLocaleString(words.locale, { dateStyle: 'short', timeStyle: 'short' })
  const summary = `${words.chartTitle} ${sku}: ${rows.length} ${words.chartMovements}, ${words.onHand} ${last.balanceAfter}`
  return (
    <figure class="chart" data-testid="stock-chart" data-points={rows.length}>
      <figcaption>
        {words.chartTitle} {sku} · {rows.length} {words.chartMovements}
      </figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={summary}>
        <line x1={PAD} y1={y(0)} x2={W - PAD} y2={y(0)} class="axis" />
        <line x1={PAD} y1={y(top)} x2={W - PAD} y2={y(top)} class="grid" />
        <text x={PAD - 4} y={y(0) + 4} text-anchor="end">
          0
        </text>
        <text x={PAD - 4} y={y(top) + 4} text-anchor="end">
          {top}
        </text>
        <polyline points={points.join(' ')} class="line" />
        <text x={PAD} y={H - 4}>
          {day(first)}
        </text>
        <text x={W - PAD} y={H - 4} text-anchor="end">
          {words.chartNow}
        </text>
      </svg>
    </figure>
  )
}
