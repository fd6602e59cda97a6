// The transfers part of `npm run bench`: two real nodes (the built node, as `npm start` runs it)
// on loopback, each reached by its peer through a link it advertises (tests/fixtures/link.ts), so
// the part can cut them apart. Measured, with the targets of issue 12:
// - transfers per second from A to B at 1, 10 and 50 concurrent senders, each counted when B has
//   applied it (its inbox committed: durable at both ends), seen on B's event stream;
// - the time from POST /transfers at A to B's event stream showing it (the relay is woken by the
//   commit, it does not poll), at a steady rate;
// - the time for what was sent during a 30 s cut to reach B after the link heals;
// - what transfers cost A's receipts: receipts at 50 connections alone, and with 50 transfers/s
//   flowing to B.
// Writes bench/results/transfers-<date>.json and .md.
import { mkdir, writeFile } from 'node:fs/promises'
import http from 'node:http'
import path from 'node:path'
import { databaseFile } from '../../db/knex-config.ts'
import { openLink, type Link } from '../../tests/fixtures/link.ts'
import { runChaos } from '../../tests/fixtures/transfer-chaos.ts'
import { runLoad } from '../load.ts'
import type { BenchOptions } from '../options.ts'
import { machine } from '../report.ts'
import { seedDatabase, skuOf } from '../seed.ts'
import { ROOT } from '../server-process.ts'
import { median } from '../summary.ts'
import { cpuSeconds, processTree } from '../proc.ts'
import { Nodes, until, type BenchNode } from '../replication/nodes.ts'
import { nodeFetch, withToken } from '../../tests/fixtures/tokens.ts'

type Say = (line: string) => void

const ITEMS = 20
const STOCK = 1_000_000

export interface TransferSettings {
  chaos: { transfers: number; rate: number }
  senders: { concurrency: number; transfers: number }[]
  latency: { rate: number; seconds: number }
  cut: { seconds: number; rate: number }
  cost: { rate: number }
}

export function transferSettings(options: BenchOptions): TransferSettings {
  return options.quick
    ? {
        chaos: { transfers: 60, rate: 6 },
        senders: [
          { concurrency: 1, transfers: 100 },
          { concurrency: 10, transfers: 300 },
          { concurrency: 50, transfers: 500 },
        ],
        latency: { rate: 20, seconds: 3 },
        cut: { seconds: 5, rate: 20 },
        cost: { rate: 50 },
      }
    : {
        chaos: { transfers: 500, rate: 8 },
        senders: [
          { concurrency: 1, transfers: 300 },
          { concurrency: 10, transfers: 2000 },
          { concurrency: 50, transfers: 5000 },
        ],
        latency: { rate: 20, seconds: 10 },
        cut: { seconds: 30, rate: 20 },
        cost: { rate: 50 },
      }
}

const percentile = (sorted: number[], p: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN
const round = (x: number) => Math.round(x * 10) / 10

/** B's event stream, watched for transfers arriving: when each id was first seen here. */
class Arrivals {
  readonly seen = new Map<string, number>()
  private readonly abort = new AbortController()
  private waiters: (() => void)[] = []

  static async open(node: BenchNode): Promise<Arrivals> {
    const arrivals = new Arrivals()
    const response = await nodeFetch(`${node.url}/events/stream?types=transfer.changed`, {
      signal: arrivals.abort.signal,
    })
    if (!response.ok || !response.body) throw new Error(`B's event stream: ${response.status}`)
    void arrivals.read(response.body)
    return arrivals
  }

  private async read(body: ReadableStream<Uint8Array>) {
    const decoder = new TextDecoder()
    let buffer = ''
    try {
      for await (const chunk of body) {
        buffer += decoder.decode(chunk, { stream: true })
        let end: number
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, end)
          buffer = buffer.slice(end + 2)
          if (frame.split('\n').includes('event: end'))
            throw new Error(`B's event stream ended: ${frame}`)
          const data = frame
            .split('\n')
            .filter((l) => l.startsWith('data:'))
            .map((l) => l.slice(5).trim())
            .join('')
          if (!data) continue
          const event = JSON.parse(data) as { subject: string; data: { direction?: string } }
          if (event.data.direction !== 'in' || this.seen.has(event.subject)) continue
          this.seen.set(event.subject, performance.now())
          for (const wake of this.waiters.splice(0)) wake()
        }
      }
    } catch (err) {
      if (!this.abort.signal.aborted) throw err
    }
  }

  /** Waits until every id has arrived (bounded); the time the last one arrived. */
  async all(ids: string[], withinMs: number): Promise<number> {
    const deadline = performance.now() + withinMs
    while (!ids.every((id) => this.seen.has(id))) {
      const left = deadline - performance.now()
      const missing = ids.filter((id) => !this.seen.has(id)).length
      if (left <= 0) throw new Error(`${missing} of ${ids.length} transfers never reached B`)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 1000))
        this.waiters.push(() => {
          clearTimeout(timer)
          resolve()
        })
      })
    }
    return Math.max(...ids.map((id) => this.seen.get(id) as number))
  }

  close() {
    this.abort.abort()
  }
}

let keys = 0

// The senders' connections, kept alive. The senders post with node:http, not fetch: fetch
// (undici's) cost the bench process about 0.2 ms of CPU a request, half a core at 50 senders, on
// the same 2 cores as the nodes it measures (a scratch run: 0.47 cores against 0.22 with this).
const senders = new http.Agent({ keepAlive: true })

/** POST /transfers of one unit of a random SKU from A to B; the transfer id and when it was sent. */
async function send(a: BenchNode, b: BenchNode): Promise<{ id: string; sentAt: number }> {
  const sentAt = performance.now()
  const sku = skuOf(Math.floor(Math.random() * ITEMS))
  const headers = {
    ...Object.fromEntries(new Headers(withToken(a.url).headers)),
    'content-type': 'application/json',
    'idempotency-key': `bench-t-${++keys}-${sentAt}`,
  }
  const { status, text } = await new Promise<{ status: number; text: string }>(
    (resolve, reject) => {
      const request = http.request(
        `${a.url}/transfers`,
        { method: 'POST', agent: senders, headers },
        (response) => {
          let text = ''
          response.setEncoding('utf8')
          response.on('data', (chunk: string) => (text += chunk))
          response.on('end', () => resolve({ status: response.statusCode ?? 0, text }))
          response.on('error', reject)
        }
      )
      request.on('error', reject)
      request.end(JSON.stringify({ to: b.id, lines: [{ sku, quantity: 1 }], reference: 'bench' }))
    }
  )
  const body = JSON.parse(text) as { id: string; error?: string }
  if (status !== 201) throw new Error(`POST /transfers: ${status} ${body.error}`)
  return { id: body.id, sentAt }
}

/** Sends at `rate` per second for `seconds` (open loop); every transfer sent. */
async function steady(a: BenchNode, b: BenchNode, rate: number, seconds: number) {
  const started = performance.now()
  const sends: Promise<{ id: string; sentAt: number }>[] = []
  for (let i = 0; i < rate * seconds; i++) {
    const due = started + (i * 1000) / rate
    const wait = due - performance.now()
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
    sends.push(send(a, b))
  }
  return Promise.all(sends)
}

interface Pair {
  nodes: Nodes
  a: BenchNode
  b: BenchNode
  links: Link[]
  arrivals: Arrivals
}

async function startPair(options: BenchOptions): Promise<Pair> {
  const nodes = new Nodes()
  const teardown = { teardown: () => undefined }
  let aUrl = ''
  let bUrl = ''
  const toA = await openLink(teardown, () => aUrl)
  const toB = await openLink(teardown, () => bUrl)
  await seedDatabase(databaseFile(nodes.dirOf('A')), { ...options, events: true })
  const a = await nodes.start('A', [], ['--advertise', toA.url])
  aUrl = a.url
  const b = await nodes.start('B', [toA.url], ['--advertise', toB.url])
  bUrl = b.url
  for (let i = 0; i < ITEMS; i++) {
    const response = await nodeFetch(`${a.url}/movements`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'receipt', sku: skuOf(i), quantity: STOCK }),
    })
    if (response.status !== 201) throw new Error(`stock for ${skuOf(i)}: ${response.status}`)
  }
  await until(
    async () => {
      const r = await nodeFetch(`${a.url}/members`)
      const { members } = (await r.json()) as { members: { id: string; state: string }[] }
      return members.some((m) => m.id === b.id && m.state === 'alive')
    },
    30_000,
    'A sees B alive'
  )
  // Each holds the other's ledger as it is now: B's catch-up of A's seeded 100,000 rows would
  // otherwise share the machine with the first case measured.
  await until(
    async () => {
      const states = await Promise.all(
        [
          [a, b],
          [b, a],
        ].map(async ([at, of]) => {
          const r = await nodeFetch(`${at.url}/replicas/${of.id}`)
          return r.ok ? ((await r.json()) as { state: string }).state : 'none'
        })
      )
      return states.every((state) => state === 'live')
    },
    300_000,
    "A and B hold each other's ledger"
  )
  const arrivals = await Arrivals.open(b)
  return { nodes, a, b, links: [toA, toB], arrivals }
}

async function stopPair(pair: Pair) {
  pair.arrivals.close()
  senders.destroy()
  await pair.nodes.stop()
  for (const link of pair.links) link.cut('refuse')
}

/** N transfers by C senders at once; per second counted at B (applied there). */
async function throughput(pair: Pair, concurrency: number, transfers: number) {
  const started = performance.now()
  let issued = 0
  const ids: string[] = []
  let acknowledgedAt = started
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (issued < transfers) {
        issued++
        const { id } = await send(pair.a, pair.b)
        ids.push(id)
        acknowledgedAt = performance.now()
      }
    })
  )
  const lastAt = await pair.arrivals.all(ids, 120_000)
  return {
    concurrency,
    transfers,
    acknowledgedPerSecond: Math.round(transfers / ((acknowledgedAt - started) / 1000)),
    appliedPerSecond: Math.round(transfers / ((lastAt - started) / 1000)),
  }
}

async function latency(pair: Pair, rate: number, seconds: number) {
  const sent = await steady(pair.a, pair.b, rate, seconds)
  await pair.arrivals.all(
    sent.map((s) => s.id),
    60_000
  )
  const ms = sent
    .map((s) => (pair.arrivals.seen.get(s.id) as number) - s.sentAt)
    .sort((x, y) => x - y)
  return {
    rate,
    seconds,
    transfers: sent.length,
    p50: round(percentile(ms, 50)),
    p99: round(percentile(ms, 99)),
    max: round(ms.at(-1) ?? NaN),
  }
}

/** Transfers sent while the link is cut; the time from the heal until B has them all. */
async function drain(pair: Pair, seconds: number, rate: number) {
  for (const link of pair.links) link.cut('silent')
  const sent = await steady(pair.a, pair.b, rate, seconds)
  const early = sent.filter((s) => pair.arrivals.seen.has(s.id)).length
  if (early > 0) throw new Error(`${early} transfers reached B through a cut link`)
  const healedAt = performance.now()
  for (const link of pair.links) link.heal()
  const lastAt = await pair.arrivals.all(
    sent.map((s) => s.id),
    120_000
  )
  return {
    cutSeconds: seconds,
    transfers: sent.length,
    drainSeconds: round((lastAt - healedAt) / 1000),
  }
}

/** CPU (user + system) of A's runtime, A's worker and B (runtime and worker), in seconds so far. */
function cpuOf(pair: Pair) {
  const [aRuntime, ...aWorker] = processTree(pair.a.child.pid as number)
  return {
    aRuntime: cpuSeconds([aRuntime]),
    aWorker: cpuSeconds(aWorker),
    b: cpuSeconds(processTree(pair.b.child.pid as number)),
  }
}

/**
 * From a node's /metrics: the seconds its worker has spent in batches so far (reads and writes,
 * commits included), and in each operation (commits aside).
 */
async function workerFigures(node: BenchNode): Promise<{ busy: number; ops: Map<string, number> }> {
  const text = await (await nodeFetch(`${node.url}/metrics`)).text()
  const busy = [
    ...text.matchAll(/^almacen_db_batch_seconds_sum\{kind="(?:read|write)"\} (\S+)$/gm),
  ].reduce((sum, m) => sum + Number(m[1]), 0)
  const ops = new Map(
    [...text.matchAll(/^almacen_db_op_seconds_total\{op="([^"]+)"\} (\S+)$/gm)].map((m) => [
      m[1],
      Number(m[2]),
    ])
  )
  return { busy, ops }
}

type Spent = { aRuntime: number; aWorker: number; b: number; busy: number; seconds: number }

/** What `work` came to, and what the processes spent while it ran (see `spending`). */
interface Spending<T> {
  result: T
  spent: Spent
  /** The share of the time A's worker (`ops`) and B's (`opsB`) spent in each operation. */
  ops: Map<string, number>
  opsB: Map<string, number>
}

/**
 * What the processes spent while `work` ran: CPU per second (cores), A's worker's busy share,
 * and the share of the time each worker spent in each operation.
 */
async function spending<T>(pair: Pair, work: () => Promise<T>): Promise<Spending<T>> {
  // The scrapes outside the window: their CPU is not the work's, nor their time.
  const [before, beforeB] = [await workerFigures(pair.a), await workerFigures(pair.b)]
  const [cpu, at] = [cpuOf(pair), performance.now()]
  const result = await work()
  const [cpu2, seconds] = [cpuOf(pair), (performance.now() - at) / 1000]
  const [after, afterB] = [await workerFigures(pair.a), await workerFigures(pair.b)]
  const per = (x: number) => Math.round((x / seconds) * 100) / 100
  const shares = (was: Map<string, number>, is: Map<string, number>) =>
    new Map([...is].map(([op, s]) => [op, (s - (was.get(op) ?? 0)) / seconds]))
  return {
    result,
    spent: {
      aRuntime: per(cpu2.aRuntime - cpu.aRuntime),
      aWorker: per(cpu2.aWorker - cpu.aWorker),
      b: per(cpu2.b - cpu.b),
      busy: per(after.busy - before.busy),
      seconds,
    },
    ops: shares(before.ops, after.ops),
    opsB: shares(beforeB.ops, afterB.ops),
  }
}

/**
 * The operations that took more of a worker's time with the transfers than without, in ms per
 * transfer (medians of the runs' shares), the largest first.
 */
function opsPerTransfer(
  alone: Map<string, number>[],
  withTransfers: Map<string, number>[],
  rate: number
) {
  const names = new Set([...alone, ...withTransfers].flatMap((m) => [...m.keys()]))
  return [...names]
    .map((op) => {
      const extra =
        median(withTransfers.map((m) => m.get(op) ?? 0)) - median(alone.map((m) => m.get(op) ?? 0))
      return { op, ms: Math.round((extra / rate) * 1000 * 1000) / 1000 }
    })
    .filter((o) => o.ms >= 0.01)
    .sort((x, y) => y.ms - x.ms)
}

const medianOf = (spent: Spent[], key: keyof Spent) => median(spent.map((s) => s[key]))
const coresOf = (spent: Spent[]) =>
  Object.fromEntries(
    (['aRuntime', 'aWorker', 'b', 'busy'] as const).map((k) => [k, medianOf(spent, k)])
  )

/**
 * The pairs of runs (alone, then with transfers) and the seconds of each run that the cost is
 * read from, at the least: the bench's default of 3 pairs of 2 s read 0.95× and 0.84× in two
 * runs back to back (pairs from 0.67 to 1.08), where 7 pairs of 3 s on the same machine read
 * 0.77×, every pair between 0.69 and 0.83 (scratch, 2026-12-05). `--quick` keeps its own.
 */
export const COST_PAIRS = 7
export const COST_SECONDS = 3

const hundredths = (x: number) => Math.round(x * 100) / 100

/** Each pair's ratio: the run with transfers over the run alone just before it. */
const ratiosOf = (alone: number[], withTransfers: number[]) =>
  withTransfers.map((w, i) => w / alone[i])

/** The median of the pairs' ratios. */
export function pairedRatio(alone: number[], withTransfers: number[]): number {
  return hundredths(median(ratiosOf(alone, withTransfers)))
}

/** Each pair's ratio, as printed beside their median. */
const pairRatios = (c: { alone: number[]; withTransfers: number[] }) =>
  ratiosOf(c.alone, c.withTransfers).map(hundredths)

/**
 * A's receipts at 50 connections alone, then with `rate` transfers/s flowing to B; and where the
 * cost goes: each process's CPU in both, and what one transfer costs each of them with nothing
 * else running (`rate` a second, no receipts), beside what one receipt costs A.
 */
async function cost(pair: Pair, options: BenchOptions, rate: number) {
  const load = { url: pair.a.url, connections: 50, items: ITEMS, kase: 'receipt' as const }
  const pairs = options.quick ? options.runs : Math.max(options.runs, COST_PAIRS)
  const seconds = options.quick ? options.duration : Math.max(options.duration, COST_SECONDS)
  await runLoad({ ...load, duration: options.warmup, runId: 'transfers-cost-warm' })
  const aloneRuns: Spending<{ rps: number }>[] = []
  const withRuns: Spending<{ rps: number }>[] = []
  for (let run = 0; run < pairs; run++) {
    aloneRuns.push(
      await spending(pair, () => runLoad({ ...load, duration: seconds, runId: `tc-a-${run}` }))
    )
    const w = await spending(pair, async () => {
      const flow = steady(pair.a, pair.b, rate, seconds)
      const loaded = await runLoad({ ...load, duration: seconds, runId: `tc-t-${run}` })
      return { rps: loaded.rps, sent: await flow }
    })
    withRuns.push(w)
    await pair.arrivals.all(
      w.result.sent.map((s) => s.id),
      60_000
    )
  }
  const alone = aloneRuns.map((r) => r.result.rps)
  const withTransfers = withRuns.map((r) => r.result.rps)
  const spentAlone = aloneRuns.map((r) => r.spent)
  // Transfers alone: sent, then until B has each, so that their whole path is counted.
  const only = await spending(pair, async () => {
    const sent = await steady(pair.a, pair.b, rate, Math.max(3, options.duration))
    await pair.arrivals.all(
      sent.map((s) => s.id),
      60_000
    )
    return sent.length
  })
  const perTransfer = (cores: number) =>
    Math.round(((cores * only.spent.seconds) / only.result) * 1000 * 100) / 100
  const receiptsPerSecond = median(alone)
  const perReceipt = (key: keyof Spent) =>
    Math.round((medianOf(spentAlone, key) / receiptsPerSecond) * 1000 * 1000) / 1000
  return {
    rate,
    /** Seconds each run of a pair lasted. */
    seconds,
    alone,
    withTransfers,
    ratio: pairedRatio(alone, withTransfers),
    /** Cores used, medians of the runs: A's runtime, A's worker, B; A's worker busy share. */
    cores: {
      alone: coresOf(spentAlone),
      withTransfers: coresOf(withRuns.map((r) => r.spent)),
    },
    /** The operations A's worker (and B's) spent more time in with the transfers: ms per transfer. */
    ops: opsPerTransfer(
      aloneRuns.map((r) => r.ops),
      withRuns.map((r) => r.ops),
      rate
    ),
    opsB: opsPerTransfer(
      aloneRuns.map((r) => r.opsB),
      withRuns.map((r) => r.opsB),
      rate
    ),
    /** CPU ms (busy ms for A's worker's batches) per transfer with nothing else running, and per receipt. */
    msPerTransfer: {
      transfers: only.result,
      aRuntime: perTransfer(only.spent.aRuntime),
      aWorker: perTransfer(only.spent.aWorker),
      aWorkerBusy: perTransfer(only.spent.busy),
      b: perTransfer(only.spent.b),
    },
    msPerReceipt: {
      aRuntime: perReceipt('aRuntime'),
      aWorker: perReceipt('aWorker'),
      aWorkerBusy: perReceipt('busy'),
    },
  }
}

/** The Jepsen-style run (tests/fixtures/transfer-chaos.ts) at the benchmark's size. */
async function chaos(settings: TransferSettings) {
  const cleanups: (() => unknown)[] = []
  try {
    const { transfers, rate } = settings.chaos
    return await runChaos(
      { teardown: (fn) => cleanups.push(fn) },
      { transfers, rate, senders: 4, faultEveryMs: 1500, seed: 2026 }
    )
  } finally {
    for (const fn of cleanups.reverse()) await fn()
  }
}

async function measureTransfers(options: BenchOptions, say: Say) {
  const settings = transferSettings(options)
  say(`${settings.chaos.transfers} transfers among 3 warehouses, killed and cut at random:`)
  const nemesis = await chaos(settings)
  say(
    `  ${nemesis.sent} acknowledged, ${nemesis.refused} refused, ${nemesis.faults.kills} kills and ${nemesis.faults.cuts} cuts, ${nemesis.reads} figures read: ${nemesis.violations.length} violations, ${nemesis.stuck.length} stuck (${nemesis.seconds} s)`
  )
  for (const v of nemesis.violations.slice(0, 10)) say(`    ${v.kind}: ${v.message}`)
  const pair = await startPair(options)
  try {
    say('transfers A → B, counted when B has applied them:')
    const senders = []
    for (const s of settings.senders) {
      const r = await throughput(pair, s.concurrency, s.transfers)
      say(
        `  ${s.concurrency} senders, ${s.transfers} transfers: ${r.appliedPerSecond}/s applied at B (${r.acknowledgedPerSecond}/s acknowledged at A)`
      )
      senders.push(r)
    }
    say(`POST /transfers at A to B's event stream showing it, ${settings.latency.rate}/s:`)
    const lat = await latency(pair, settings.latency.rate, settings.latency.seconds)
    say(`  p50 ${lat.p50} ms, p99 ${lat.p99} ms, max ${lat.max} ms over ${lat.transfers}`)
    say(
      `in transit after a ${settings.cut.seconds} s cut, ${settings.cut.rate} transfers/s meanwhile:`
    )
    const cut = await drain(pair, settings.cut.seconds, settings.cut.rate)
    say(`  ${cut.transfers} transfers reached B ${cut.drainSeconds} s after the link healed`)
    say(`A's receipts @50, alone and with ${settings.cost.rate} transfers/s to B:`)
    const c = await cost(pair, options, settings.cost.rate)
    say(
      `  alone ${c.alone.join(', ')} req/s; with transfers ${c.withTransfers.join(', ')} req/s; each pair ${pairRatios(c).join(', ')}: ${c.ratio}×`
    )
    say(`  ${costWords(c)}`)
    return { settings, chaos: nemesis, senders, latency: lat, cut, cost: c }
  } finally {
    await stopPair(pair)
  }
}

export type TransfersResult = Awaited<ReturnType<typeof measureTransfers>>

export function transferTargets(r: TransfersResult) {
  const at50 = r.senders.find((s) => s.concurrency === 50)
  return [
    {
      what: `${r.chaos.sent} transfers among 3 warehouses under kills and cuts`,
      goal: '0 violations, 0 duplicates, 0 stuck',
      measured: `${r.chaos.violations.length} violations, ${r.chaos.stuck.length} stuck`,
      met: r.chaos.violations.length === 0 && r.chaos.stuck.length === 0,
    },
    {
      what: 'transfers/s at 50 senders, applied at both ends',
      goal: '≥ 1000/s',
      measured: at50 ? `${at50.appliedPerSecond}/s` : 'n/a',
      met: at50 ? at50.appliedPerSecond >= 1000 : null,
    },
    {
      what: 'POST /transfers to B seeing it: p50 / p99',
      goal: '≤ 50 / ≤ 250 ms',
      measured: `${r.latency.p50} / ${r.latency.p99} ms`,
      met: r.latency.p50 <= 50 && r.latency.p99 <= 250,
    },
    {
      what: `in transit drained after a ${r.cut.cutSeconds} s cut heals`,
      goal: '≤ 5 s',
      measured: `${r.cut.drainSeconds} s`,
      met: r.cut.drainSeconds <= 5,
    },
    {
      what: `A's receipts @50 with ${r.cost.rate} transfers/s ÷ alone`,
      goal: '≥ 0.9× (cost ≤ 10 %)',
      measured: `${r.cost.ratio}×`,
      met: r.cost.ratio >= 0.9,
    },
  ]
}

/** Where the cost of transfers goes, in words (medians of the runs). */
function costWords(c: Awaited<ReturnType<typeof cost>>): string {
  const words = (ops: { op: string; ms: number }[]) =>
    ops.map((o) => `${o.op} ${o.ms} ms`).join(', ') || 'nothing'
  const cores = (x: Record<string, number>) =>
    `A's runtime ${x.aRuntime}, A's worker ${x.aWorker} (busy ${x.busy} of the time), B ${x.b}`
  const t = c.msPerTransfer
  const r = c.msPerReceipt
  return `Cores used: alone ${cores(c.cores.alone)}; with transfers ${cores(c.cores.withTransfers)}. One transfer, ${c.rate}/s with nothing else running (${t.transfers} sent): CPU ${t.aRuntime} ms in A's runtime, ${t.aWorker} ms in A's worker (its batches ${t.aWorkerBusy} ms), ${t.b} ms in B; one receipt at 50 connections: ${r.aRuntime}, ${r.aWorker} (${r.aWorkerBusy}) ms. Among the receipts, what each worker spent more on with the transfers, per transfer (commits aside): A's ${words(c.ops)}; B's ${words(c.opsB)}.`
}

const md = (cells: unknown[]) => `| ${cells.join(' | ')} |`

export function formatTransfers(r: TransfersResult & { date: string; command: string }): string {
  const m = machine()
  return [
    `Measured ${r.date} on ${m.cores} × ${m.cpu}, Node ${m.node}, both nodes and the load on the same machine, each node reached by its peer through a loopback link; command: \`${r.command}\`.`,
    '',
    `${r.chaos.sent} transfers among 3 warehouses (${r.chaos.refused} refused) while a nemesis killed a node ${r.chaos.faults.kills} times and cut a link ${r.chaos.faults.cuts} times; ${r.chaos.reads} network stock figures read meanwhile and judged against the ledger prefix each names: ${r.chaos.violations.length} violations (conservation, exactly once, reads), ${r.chaos.stuck.length} transfers stuck after the faults healed (${r.chaos.seconds} s).`,
    '',
    md(['senders', 'transfers', 'applied at B /s', 'acknowledged at A /s']),
    md(['---', '---', '---', '---']),
    ...r.senders.map((s) =>
      md([s.concurrency, s.transfers, s.appliedPerSecond, s.acknowledgedPerSecond])
    ),
    '',
    `POST /transfers at A → B's event stream shows it, ${r.latency.rate}/s for ${r.latency.seconds} s: p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms, max ${r.latency.max} ms.`,
    `Link cut ${r.cut.cutSeconds} s while ${r.cut.transfers} transfers were sent: all at B ${r.cut.drainSeconds} s after it healed.`,
    `A's receipts @50, ${r.cost.alone.length} pair${r.cost.alone.length === 1 ? '' : 's'} of runs of ${r.cost.seconds} s: alone ${r.cost.alone.join(', ')} req/s; with ${r.cost.rate} transfers/s ${r.cost.withTransfers.join(', ')} req/s; each pair ${pairRatios(r.cost).join(', ')} (median ${r.cost.ratio}×).`,
    costWords(r.cost),
    '',
    md(['target', 'goal', 'measured', '']),
    md(['---', '---', '---', '---']),
    ...transferTargets(r).map((t) =>
      md([t.what, t.goal, t.measured, t.met === null ? 'n/a' : t.met ? 'met' : 'NOT met'])
    ),
    '',
    "ERPNext and Odoo post a transfer in one central database: one commit, and nothing to measure between sites. What these figures buy that theirs cannot: A sends while B is cut off or down (the transfer waits in A's outbox and is applied once when B is back), and each warehouse keeps receiving, issuing and counting whatever happens to the link.",
  ].join('\n')
}

/** Runs the part, prints its tables, writes its results. */
export async function runTransfers(options: BenchOptions, command: string, say: Say) {
  const started = new Date()
  const result = await measureTransfers(options, say)
  const report = { date: started.toISOString(), command, machine: machine(), ...result }
  const text = formatTransfers(report)
  say('')
  say(text)
  const dir = path.join(ROOT, 'bench', 'results')
  await mkdir(dir, { recursive: true })
  const name = `transfers-${started.toISOString().replace(/[:.]/g, '-')}${options.quick ? '-quick' : ''}`
  const file = path.join(dir, `${name}.json`)
  await writeFile(
    file,
    `${JSON.stringify({ ...report, targets: transferTargets(result) }, null, 2)}\n`
  )
  await writeFile(file.replace(/\.json$/, '.md'), `${text}\n`)
  say(`\nresults: ${path.relative(ROOT, file)} (and .md)`)
}
