// What being replicated costs a node: reads (GET /stock/:sku) and receipts (POST /movements) at 50
// connections from autocannon, as the HTTP part runs them, on a seeded node alone; then on the
// same node with 4 peers joined and replicating from it (every receipt goes out on 4 feeds).
// The ratio is with ÷ alone (medians). The peers run on this machine too, so their share of its
// 2 cores is part of the cost measured here: on separate machines it would be lower.
import { databaseFile } from '../../db/knex-config.ts'
import { runLoad } from '../load.ts'
import { cpuSeconds, processTree, RunMonitor } from '../proc.ts'
import type { BenchOptions } from '../options.ts'
import { seedDatabase } from '../seed.ts'
import { median } from '../summary.ts'
import { Nodes, until, type BenchNode } from './nodes.ts'
import { nodeFetch } from '../../tests/fixtures/tokens.ts'

const CONNECTIONS = 50
const PEERS = 4
const KASES = ['read', 'receipt'] as const

export interface CostCase {
  kase: (typeof KASES)[number]
  alone: CostRun[]
  withPeers: CostRun[]
  /** Median req/s with the peers ÷ median alone. */
  ratio: number
  /**
   * The same for req/s per core the node used: what serving its peers costs the node itself,
   * apart from the CPU its peers (here on the same machine) and other processes took from it.
   */
  perCoreRatio: number
}

/** One run, with the CPU (cores) of the node, of its peers, and of everything outside the bench. */
export interface CostRun {
  rps: number
  nodeCpu: number
  peersCpu: number
  otherCpu: number
}

async function measure(node: BenchNode, peers: BenchNode[], options: BenchOptions, label: string) {
  const out = new Map<string, CostRun[]>(KASES.map((k) => [k, []]))
  const load = { url: node.url, connections: CONNECTIONS, items: options.items }
  const peersCpu = () => cpuSeconds(peers.flatMap((p) => processTree(p.child.pid as number)))
  for (const kase of KASES) {
    await runLoad({ ...load, kase, duration: options.warmup, runId: `cost-${label}-w-${kase}` })
    for (let run = 0; run < options.runs; run++) {
      const runId = `cost-${label}-${kase}-${run}`
      const [monitor, peersAt, at] = [
        new RunMonitor(node.child.pid as number),
        peersCpu(),
        performance.now(),
      ]
      const result = await runLoad({ ...load, kase, duration: options.duration, runId })
      const seen = monitor.stop()
      const seconds = (performance.now() - at) / 1000
      if (result.errors > 0) throw new Error(`${kase} ${label}: ${result.errors} errors`)
      const round = (cores: number) => Math.round(cores * 100) / 100
      out.get(kase)?.push({
        rps: result.rps,
        nodeCpu: seen.serverCpu,
        peersCpu: round((peersCpu() - peersAt) / seconds),
        otherCpu: seen.otherCpu,
      })
    }
  }
  return out
}

export async function runCost(options: BenchOptions, say: (line: string) => void) {
  const nodes = new Nodes()
  try {
    await seedDatabase(databaseFile(nodes.dirOf('cost')), { ...options, events: true })
    const node = await nodes.start('cost')
    const alone = await measure(node, [], options, 'alone')
    const peers = await Promise.all(
      Array.from({ length: PEERS }, (_, i) => nodes.start(`cost-peer${i + 1}`, [node.url]))
    )
    // Every peer holds the node's log as it is now (the receipts alone went into it).
    await until(
      async () => {
        const heads = await Promise.all(
          peers.map(async (p) => {
            const r = await nodeFetch(`${p.url}/replicas/${node.id}`)
            return r.ok ? ((await r.json()) as { state: string }).state : 'none'
          })
        )
        return heads.every((state) => state === 'live')
      },
      300_000,
      'the peers caught up'
    )
    const withPeers = await measure(node, peers, options, 'peers')
    const cases: CostCase[] = KASES.map((kase) => {
      const a = alone.get(kase) as CostRun[]
      const w = withPeers.get(kase) as CostRun[]
      const rps = (runs: CostRun[]) => median(runs.map((r) => r.rps))
      const perCore = (runs: CostRun[]) => median(runs.map((r) => r.rps / r.nodeCpu))
      const round = (x: number) => Math.round(x * 100) / 100
      return {
        kase,
        alone: a,
        withPeers: w,
        ratio: round(rps(w) / rps(a)),
        perCoreRatio: round(perCore(w) / perCore(a)),
      }
    })
    const show = (runs: CostRun[]) =>
      runs
        .map(
          (r) =>
            `${r.rps} req/s (node ${r.nodeCpu}, peers ${r.peersCpu}, others ${r.otherCpu} cores)`
        )
        .join(', ')
    for (const c of cases) {
      say(
        `  cost ${c.kase} @${CONNECTIONS}: alone ${show(c.alone)}; with ${PEERS} peers replicating ${show(c.withPeers)}: ${c.ratio}× (per core of the node ${c.perCoreRatio}×)`
      )
    }
    return { connections: CONNECTIONS, peers: PEERS, cases }
  } finally {
    await nodes.stop()
  }
}
