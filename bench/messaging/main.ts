// `npm run bench -- --part messaging`: almacen's durable queues against RabbitMQ (classic and
// quorum queues) and NATS JetStream, measured in the same run with the same workloads (issue 14's
// benchmark). Each figure is the median of --runs runs; the brokers come from
// ../shared/anchors/mom and are skipped, with why, when they cannot be installed or started.
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { loadavg, tmpdir } from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { BenchOptions } from '../options.ts'
import { median } from '../summary.ts'
import { loadAnchor, missing, type Anchor } from './anchor.ts'
import { formatMessaging, type MessagingResult, type TargetResult } from './report.ts'
import { AlmacenTarget, BrokerTarget, type Target } from './targets.ts'
import {
  consumeRun,
  endToEnd,
  publishRun,
  resendAfterKill,
  syncsPer1000,
  type Latency,
} from './workloads.ts'

type Say = (line: string) => void

const PUBLISHERS = [1, 10, 50]
const BATCH = 100
const BATCH_PUBLISHERS = 10
const BACKLOG = 20_000
const E2E_RATE = 200
const KILL_N = 5000
const KILL_PUBLISHERS = 10
/**
 * How long almacen is left quiet before its settled memory is read. V8 gives back the young
 * generation a busy process grew (up to 32 MiB in each of the runtime and the worker) only when
 * its memory reducer runs a full collection: measured here 10 s to over 2 min after the load
 * ended (in an idle process, at the latest its watchdog, 100 s after the last full collection).
 */
const QUIET_MS = 180_000

function medianOf(runs: Latency[]): Latency {
  return {
    perSecond: Math.round(median(runs.map((r) => r.perSecond))),
    p50: median(runs.map((r) => r.p50)),
    p99: median(runs.map((r) => r.p99)),
  }
}

/** Resident memory of a process tree, MiB (the anchor's own measure). */
type Rss = (pid: number) => number

async function measure(
  t: Target,
  options: BenchOptions,
  anchor: Anchor | null,
  dir: string,
  say: Say
): Promise<TargetResult> {
  const rss: Rss | null = anchor ? anchor.brokers.rssMiB : null
  const treeRss = () => {
    if (!rss) return null
    const tree: number[] = anchor?.brokers.descendants(t.pid()) ?? [t.pid()]
    const storage = t.storagePid()
    return Math.round((rss(t.pid()) + (tree.includes(storage) ? 0 : rss(storage))) * 10) / 10
  }
  const runs = options.runs
  const warm = options.warmup
  const secs = options.duration
  const r: TargetResult = { name: t.name, fsyncBeforeConfirm: t.fsyncBeforeConfirm, publish: [] }
  const load = () => loadavg()[0].toFixed(1)
  r.load = load()
  // almacen's memory once quiet: read every 10 s for QUIET_MS, the last reading kept.
  const settled = async (from: number, what: string) => {
    const seen: (number | null)[] = []
    while (performance.now() - from < QUIET_MS) {
      await sleep(Math.min(10_000, Math.max(0, from + QUIET_MS - performance.now())))
      seen.push(treeRss())
    }
    say(
      `${t.name}: RSS ${what}, every 10 s until ${QUIET_MS / 1000} s quiet: ${seen.join(', ')} MiB`
    )
    return seen.at(-1) ?? null
  }
  const quiet = t instanceof AlmacenTarget
  const started = performance.now()
  r.startMs = Math.round(await t.start())
  await sleep(3000)
  r.idleRssMiB = treeRss()
  say(`${t.name}: up in ${r.startMs} ms, idle RSS ${r.idleRssMiB} MiB`)
  if (quiet) r.quietRssMiB = await settled(started, 'from its start')
  await t.open()
  for (const c of PUBLISHERS) {
    const rows: Latency[] = []
    for (let i = 0; i < runs; i++) {
      await t.purge()
      rows.push(await publishRun(t, c, 1, warm, secs))
    }
    const m = medianOf(rows)
    r.publish.push({ publishers: c, ...m })
    say(
      `${t.name} publish ×${c}: ${m.perSecond}/s, p50 ${m.p50.toFixed(2)} p99 ${m.p99.toFixed(2)} ms (runs: ${rows.map((x) => x.perSecond).join(', ')})`
    )
  }
  const batches: Latency[] = []
  for (let i = 0; i < runs; i++) {
    await t.purge()
    batches.push(await publishRun(t, BATCH_PUBLISHERS, BATCH, warm, secs))
  }
  r.batch = medianOf(batches)
  say(
    `${t.name} batches of ${BATCH} ×${BATCH_PUBLISHERS}: ${r.batch.perSecond}/s (runs: ${batches.map((x) => x.perSecond).join(', ')})`
  )
  r.consume = {}
  for (const prefetch of [1, 50]) {
    const rates: number[] = []
    for (let i = 0; i < runs; i++)
      rates.push(await consumeRun(t, prefetch, BACKLOG, Math.max(secs, 3)))
    r.consume[prefetch] = Math.round(median(rates))
    say(
      `${t.name} consume prefetch ${prefetch}: ${r.consume[prefetch]}/s (runs: ${rates.join(', ')})`
    )
  }
  if (t instanceof AlmacenTarget) {
    // The same, each batch acknowledged by an ack request of its own before the next receive.
    t.acksApart = true
    const rates: number[] = []
    for (let i = 0; i < runs; i++) rates.push(await consumeRun(t, 50, BACKLOG, Math.max(secs, 3)))
    t.acksApart = false
    r.consumeAcksApart = Math.round(median(rates))
    say(
      `${t.name} consume prefetch 50, acks apart: ${r.consumeAcksApart}/s (runs: ${rates.join(', ')})`
    )
  }
  await t.purge()
  const e2e = []
  for (let i = 0; i < runs; i++) e2e.push(await endToEnd(t, E2E_RATE, 3))
  r.e2e = {
    p50: median(e2e.map((e) => e.p50)),
    p99: median(e2e.map((e) => e.p99)),
    delivered: e2e.reduce((a, e) => a + e.delivered, 0),
    sent: e2e.reduce((a, e) => a + e.sent, 0),
  }
  say(
    `${t.name} publish → delivery at ${E2E_RATE}/s: p50 ${r.e2e.p50.toFixed(2)} p99 ${r.e2e.p99.toFixed(2)} ms (${r.e2e.delivered}/${r.e2e.sent})`
  )
  if (anchor) {
    r.syncs = []
    for (const c of [1, 10]) {
      const s = await syncsPer1000(t, anchor.brokers.straceSyncs, dir, c)
      if (!s) break
      r.syncs.push(s)
      say(
        `${t.name} sync calls, ${c} publisher(s): ${JSON.stringify(s.calls)} over ${s.confirmed} confirms`
      )
    }
  }
  await t.purge()
  const done = performance.now()
  await sleep(3000)
  r.idleRssAfterMiB = treeRss()
  say(`${t.name}: idle RSS after the workloads ${r.idleRssAfterMiB} MiB`)
  if (quiet) r.quietRssAfterMiB = await settled(done, 'after the workloads')
  r.kill = await resendAfterKill(t, KILL_N, KILL_PUBLISHERS)
  r.load += `–${load()}`
  say(
    `${t.name} kill -9 mid-publish, unconfirmed sent again with their ids: ${JSON.stringify(r.kill)}`
  )
  return r
}

export async function runMessaging(
  options: BenchOptions,
  command: string,
  say: Say
): Promise<MessagingResult> {
  const result: MessagingResult = {
    command,
    loadBefore: loadavg()
      .map((x) => x.toFixed(2))
      .join(' '),
    loadAfter: '',
    runs: options.runs,
    seconds: options.duration,
    targets: [],
    skipped: [],
  }
  const root = await mkdtemp(path.join(tmpdir(), 'almacen-bench-messaging-'))
  const loaded = await loadAnchor()
  const anchor = typeof loaded === 'string' ? null : loaded
  if (typeof loaded === 'string') result.skipped.push(`RabbitMQ and NATS: ${loaded}`)
  const stopAll = () => anchor?.brokers.killAllStarted()
  try {
    const almacen = new AlmacenTarget(path.join(root, 'almacen'))
    await mkdir(almacen.dir, { recursive: true })
    try {
      result.targets.push(await measure(almacen, options, anchor, root, say))
    } finally {
      await almacen.stop()
    }
    if (anchor) await brokers(anchor, options, root, result, say)
  } finally {
    stopAll()
    await rm(root, { recursive: true, force: true })
  }
  result.loadAfter = loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')
  return result
}

async function brokers(
  anchor: Anchor,
  options: BenchOptions,
  root: string,
  result: MessagingResult,
  say: Say
) {
  const { NatsBroker, RabbitBroker } = anchor.brokers
  const { NatsTarget, RabbitTarget } = anchor.targets
  const base = Number(process.env.MOM_PORT_BASE ?? 9400)
  const rabbit = (type: 'classic' | 'quorum') => ({
    kind: 'rabbitmq' as const,
    name: `RabbitMQ ${type}`,
    make: () => {
      const b = new RabbitBroker({
        dir: path.join(root, `rabbit-${type}`),
        port: base + 1,
        distPort: base + 2,
        epmdPort: base + 3,
      })
      return new BrokerTarget(`RabbitMQ ${type}`, b, new RabbitTarget(b, type), anchor)
    },
  })
  const plans: { kind: 'nats' | 'rabbitmq'; name: string; make: () => Target }[] = [
    rabbit('classic'),
    rabbit('quorum'),
    {
      kind: 'nats',
      name: 'NATS JetStream',
      make: () => {
        const b = new NatsBroker({ dir: path.join(root, 'nats'), port: base + 10 })
        return new BrokerTarget('NATS JetStream', b, new NatsTarget(b), anchor)
      },
    },
  ]
  for (const plan of plans) {
    const why = missing(plan.kind)
    if (why) {
      result.skipped.push(`${plan.name}: ${why}`)
      say(`${plan.name}: skipped, ${why}`)
      continue
    }
    const t = plan.make() as BrokerTarget
    try {
      result.targets.push(await measure(t, options, anchor, root, say))
    } catch (err) {
      result.skipped.push(`${plan.name}: ${(err as Error).message}`)
      say(`${plan.name}: skipped, ${(err as Error).message}`)
    } finally {
      await t.stop().catch(() => {})
      await t.broker.close().catch(() => {})
    }
  }
}
