// GET /network/stock/:sku answer time at N nodes: asked of the first node, one query after the
// other, timed at the client; first with every node live, then with two peers frozen (SIGSTOP on
// their runtime: they take the request and never answer). The promise: never past the deadline
// plus 50 ms, whatever the peers do.
import { median } from '../summary.ts'
import { Nodes, type BenchNode } from './nodes.ts'
import { startNetwork } from './lag.ts'
import { nodeFetch } from '../../tests/fixtures/tokens.ts'

export const DEADLINE_MS = 1000
export const SLACK_MS = 50

export interface StockTimes {
  queries: number
  p50: number
  p99: number
  worst: number
  /** Answers that said a warehouse was not answered live in time (frozen peers, as expected). */
  timedOut: number
  /** Answers over the deadline plus SLACK_MS. */
  late: number
}

export type StockAtSize =
  | { nodes: number; live: StockTimes; frozen: StockTimes }
  /** Not measured (its replicas not all live in time, or any other failure): why. */
  | { nodes: number; notMeasured: string }

const SKU = 'NET-1'

async function times(first: BenchNode, queries: number): Promise<StockTimes> {
  const took: number[] = []
  let timedOut = 0
  for (let i = 0; i < queries; i++) {
    const started = performance.now()
    const response = await nodeFetch(`${first.url}/network/stock/${SKU}?deadlineMs=${DEADLINE_MS}`)
    const body = (await response.json()) as { timedOut?: boolean }
    took.push(performance.now() - started)
    if (response.status !== 200) throw new Error(`GET /network/stock answered ${response.status}`)
    if (body.timedOut) timedOut++
  }
  took.sort((a, b) => a - b)
  const round = (ms: number) => Math.round(ms * 10) / 10
  return {
    queries,
    p50: round(median(took)),
    p99: round(took[Math.min(took.length - 1, Math.floor(0.99 * took.length))]),
    worst: round(took.at(-1) as number),
    timedOut,
    late: took.filter((ms) => ms > DEADLINE_MS + SLACK_MS).length,
  }
}

async function atSize(n: number, queries: number): Promise<StockAtSize> {
  const nodes = new Nodes()
  try {
    const all = await startNetwork(nodes, n, `st${n}-`)
    const json = { 'content-type': 'application/json' }
    await Promise.all(
      all.map(async (node, i) => {
        const item = { sku: SKU, name: 'Network probe', unit: 'ea' }
        await nodeFetch(`${node.url}/items`, {
          method: 'POST',
          headers: json,
          body: JSON.stringify(item),
        })
        const receipt = { type: 'receipt', sku: SKU, quantity: i + 1, reference: 'NET' }
        await nodeFetch(`${node.url}/movements`, {
          method: 'POST',
          headers: json,
          body: JSON.stringify(receipt),
        })
      })
    )
    const live = await times(all[0], queries)
    for (const peer of all.slice(-2)) nodes.signal(peer, 'SIGSTOP')
    const frozen = await times(all[0], Math.max(5, Math.round(queries / 3)))
    return { nodes: n, live, frozen }
  } finally {
    await nodes.stop()
  }
}

export async function runNetworkStock(
  options: { sizes: number[]; queries: number },
  say: (line: string) => void
): Promise<StockAtSize[]> {
  const out: StockAtSize[] = []
  for (const n of options.sizes) {
    // A size that cannot be measured (20 nodes on 2 cores have taken over 240 s to have every
    // replica live: startNetwork) is reported with its error, failing its target, and the part
    // goes on.
    const result = await atSize(n, options.queries).catch((err: Error): StockAtSize => ({
      nodes: n,
      notMeasured: err.message,
    }))
    if ('notMeasured' in result) {
      say(`  network stock N=${n}: not measured (${result.notMeasured})`)
      out.push(result)
      continue
    }
    const show = (t: StockTimes) =>
      `p50 ${t.p50} ms, p99 ${t.p99} ms, worst ${t.worst} ms (${t.late} of ${t.queries} late, ${t.timedOut} timed out)`
    say(`  network stock N=${n}, all live: ${show(result.live)}`)
    say(`  network stock N=${n}, two frozen: ${show(result.frozen)}`)
    out.push(result)
  }
  return out
}
