// The warehouse's stock, kept current by the event stream: a movement made anywhere (the text
// client, curl, a transfer) changes its row here without a reload.
import { useEffect, useMemo, useState } from 'preact/hooks'
import type { NodeEvent, Stock, StockPage } from '../api/index.ts'
import { allPages, call } from './api.ts'
import { follow } from './live.ts'
import type { Words } from './i18n.ts'

/** Events after which an item's row is asked for again. */
const CHANGES = ['movement.recorded', 'item.created', 'item.updated', 'transfer.changed']

export interface LiveStock {
  rows: Map<string, Stock>
  connected: boolean
  /** Asks the node for one item's row again. */
  refresh(sku: string): Promise<Stock | undefined>
}

async function loadAll(): Promise<Map<string, Stock>> {
  const rows = await allPages('/stock', (page: StockPage) => page.stock)
  return new Map(rows.map((row) => [row.sku, row]))
}

/** `onRefused`: the node no longer takes the token. */
export function useLiveStock(onRefused: (sentence: string) => void): LiveStock {
  const [rows, setRows] = useState(new Map<string, Stock>())
  const [connected, setConnected] = useState(true)

  async function refresh(sku: string): Promise<Stock | undefined> {
    try {
      const row = await call<Stock>(`/stock/${encodeURIComponent(sku)}`)
      setRows((before) => new Map(before).set(row.sku, row))
      return row
    } catch {
      return undefined // gone or unreachable: the stream's reconnection reloads
    }
  }

  useEffect(() => {
    // The SKUs that events named while the latest reload was on its way: its pages may have been
    // read before those changes, and a row refreshed meanwhile would be put back as it was.
    let reload: Set<string> | undefined
    // Each (re)connection reloads everything: what changed while away is then shown.
    return follow({
      types: CHANGES,
      onRefused,
      onConnected(open) {
        setConnected(open)
        if (!open) return
        const during = new Set<string>()
        reload = during
        loadAll().then(
          (loaded) => {
            if (reload !== during) return // a later reload answers instead
            reload = undefined
            setRows(loaded)
            for (const sku of during) void refresh(sku)
          },
          () => setConnected(false)
        )
      },
      onEvent(event: NodeEvent) {
        for (const sku of skusOf(event)) {
          reload?.add(sku)
          void refresh(sku)
        }
      },
    })
  }, [])
  return { rows, connected, refresh }
}

/** The SKUs an event is about: its subject, or for a transfer the SKUs of its lines. */
function skusOf(event: NodeEvent): string[] {
  if (event.type !== 'transfer.changed') return [event.subject]
  const data = event.data as { lines?: { sku: string }[] } | null
  return data?.lines?.map((line) => line.sku) ?? []
}

export function StockList(props: { words: Words; rows: Map<string, Stock>; connected: boolean }) {
  const { words, rows } = props
  const [search, setSearch] = useState('')
  const [lowOnly, setLowOnly] = useState(false)
  const shown = useMemo(() => {
    const needle = search.trim().toLowerCase()
    return [...rows.values()]
      .filter((row) => !lowOnly || row.low)
      .filter(
        (row) =>
          !needle ||
          row.sku.toLowerCase().includes(needle) ||
          row.name.toLowerCase().includes(needle)
      )
      .sort((a, b) => (a.sku < b.sku ? -1 : 1))
  }, [rows, search, lowOnly])
  return (
    <section aria-labelledby="stock-title">
      <h2 id="stock-title">
        {words.stock} {props.connected && <span class="live-badge">● {words.live}</span>}
      </h2>
      <div class="filters">
        <label>
          {words.search}
          <input type="search" value={search} onInput={(e) => setSearch(e.currentTarget.value)} />
        </label>
        <label class="check">
          <input
            type="checkbox"
            checked={lowOnly}
            onChange={(e) => setLowOnly(e.currentTarget.checked)}
          />
          {words.lowOnly}
        </label>
      </div>
      <table>
        <thead>
          <tr>
            <th scope="col">{words.sku}</th>
            <th scope="col">{words.name}</th>
            <th scope="col" class="num">
              {words.onHand}
            </th>
            <th scope="col" class="num">
              {words.inTransit}
            </th>
            <th scope="col">{words.unit}</th>
            <th scope="col">{words.low}</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((row) => (
            <tr key={row.sku} data-sku={row.sku} class={row.low ? 'is-low' : undefined}>
              <td>{row.sku}</td>
              <td>{row.name}</td>
              <td class="num on-hand">{row.onHand}</td>
              <td class="num">{row.inTransit}</td>
              <td class="unit">{row.unit}</td>
              <td>{row.low ? `${words.low} (${words.reorderAt} ${row.reorderPoint})` : ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {shown.length === 0 && <p class="hint">{words.noItems}</p>}
    </section>
  )
}
