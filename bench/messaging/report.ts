// The messaging part's table, its ratios to the brokers measured in the same run, and issue 14's
// targets, each said met or not.
import type { Latency } from './workloads.ts'

export interface TargetResult {
  name: string
  fsyncBeforeConfirm: boolean
  /** The machine's 1-minute load average when its measures began and ended (2 cores). */
  load?: string
  startMs?: number
  idleRssMiB?: number | null
  idleRssAfterMiB?: number | null
  /** almacen's, each read once it has been quiet for three minutes (see main.ts). */
  quietRssMiB?: number | null
  quietRssAfterMiB?: number | null
  publish: ({ publishers: number } & Latency)[]
  batch?: Latency
  consume?: Record<number, number>
  /** almacen: consume at prefetch 50, each batch acked by a request of its own. */
  consumeAcksApart?: number
  e2e?: { p50: number; p99: number; delivered: number; sent: number }
  syncs?: {
    publishers: number
    confirmed: number
    calls: Record<string, number>
    per1000: number | null
  }[]
  kill?: {
    sent: number
    confirmedAtKill: number
    resent: number
    delivered: number
    duplicates: number
    lostConfirmed: number
    restartMs: number
  }
}

export interface MessagingResult {
  command: string
  loadBefore: string
  loadAfter: string
  runs: number
  seconds: number
  targets: TargetResult[]
  skipped: string[]
}

export interface Goal {
  what: string
  ratio: number | null
  target: string
  met: boolean | null
}

const f2 = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? '–' : x.toFixed(2))
const n0 = (x: number | undefined) => (x === undefined ? '–' : Math.round(x).toLocaleString('en'))

export function goals(r: MessagingResult): Goal[] {
  const by = (name: string) => r.targets.find((t) => t.name === name)
  const a = by('almacen')
  const classic = by('RabbitMQ classic')
  const quorum = by('RabbitMQ quorum')
  const at50 = (t?: TargetResult) => t?.publish.find((p) => p.publishers === 50)?.perSecond
  const ratio = (x?: number, y?: number) => (x !== undefined && y ? x / y : null)
  const list: Goal[] = []
  const add = (what: string, value: number | null, target: string, ok: (v: number) => boolean) =>
    list.push({ what, ratio: value, target, met: value === null ? null : ok(value) })
  add(
    'one per request, 50 publishers ÷ RabbitMQ classic',
    ratio(at50(a), at50(classic)),
    '≥ 0.5',
    (v) => v >= 0.5
  )
  add(
    'batches of 100 ÷ RabbitMQ quorum at 50 publishers',
    ratio(a?.batch?.perSecond, at50(quorum)),
    '≥ 1',
    (v) => v >= 1
  )
  add(
    'batches of 100 ÷ RabbitMQ quorum, same batches',
    ratio(a?.batch?.perSecond, quorum?.batch?.perSecond),
    '≥ 1',
    (v) => v >= 1
  )
  for (const q of [quorum, classic])
    add(
      `consume + ack, prefetch 50 ÷ ${q?.name ?? 'RabbitMQ'}`,
      ratio(a?.consume?.[50], q?.consume?.[50]),
      '≥ 0.5',
      (v) => v >= 0.5
    )
  add(
    'the same, each batch acked by a request of its own, ÷ RabbitMQ quorum',
    ratio(a?.consumeAcksApart, quorum?.consume?.[50]),
    '≥ 0.5',
    (v) => v >= 0.5
  )
  add(
    'publish → delivery p99 ÷ RabbitMQ quorum',
    ratio(a?.e2e?.p99, quorum?.e2e?.p99),
    '≤ 1',
    (v) => v <= 1
  )
  list.push({
    what: 'duplicates delivered after resending the unconfirmed with their ids',
    ratio: a?.kill?.duplicates ?? null,
    target: '0',
    met: a?.kill ? a.kill.duplicates === 0 : null,
  })
  const growth = (after?: number | null, before?: number | null) =>
    after != null && before != null ? Math.round((after - before) * 10) / 10 : null
  add(
    'RSS after the workloads − before, each 3 s after (MiB)',
    growth(a?.idleRssAfterMiB, a?.idleRssMiB),
    '≤ 20',
    (v) => v <= 20
  )
  add(
    'RSS after the workloads − before, each after 3 min quiet (MiB)',
    growth(a?.quietRssAfterMiB, a?.quietRssMiB),
    '≤ 20',
    (v) => v <= 20
  )
  return list
}

export function formatMessaging(r: MessagingResult): string {
  const L: string[] = []
  L.push(
    `Messages of 256 bytes; median of ${r.runs} runs of ${r.seconds} s each; load average before ${r.loadBefore}, after ${r.loadAfter}. \`${r.command}\``
  )
  L.push('')
  L.push(
    '| target | publish ×1: msg/s · p50 / p99 ms | ×10 | ×50 | batches of 100, 10 publishers: msg/s | consume + ack, prefetch 1 | prefetch 50 | publish → delivery p50 / p99 ms | syncs per 1,000 confirms, ×1 / ×10 | RSS MiB: idle, after the workloads; each at 3 s / 3 min quiet | kill -9, resent: duplicates · lost | load average |'
  )
  L.push('|---|---|---|---|---|---|---|---|---|---|---|---|')
  for (const t of r.targets) {
    const pub = (c: number) => {
      const p = t.publish.find((x) => x.publishers === c)
      return p ? `${n0(p.perSecond)} · ${f2(p.p50)} / ${f2(p.p99)}` : '–'
    }
    const sync = (c: number) => {
      const s = t.syncs?.find((x) => x.publishers === c)
      return s ? `${s.per1000}` : '–'
    }
    const name = t.fsyncBeforeConfirm ? t.name : `${t.name} (acknowledges before any fsync)`
    const rss = `${t.idleRssMiB ?? '–'} / ${t.quietRssMiB ?? '–'}, ${t.idleRssAfterMiB ?? '–'} / ${t.quietRssAfterMiB ?? '–'}`
    const kill = t.kill ? `${t.kill.duplicates} · ${t.kill.lostConfirmed}` : '–'
    L.push(
      `| ${name} | ${pub(1)} | ${pub(10)} | ${pub(50)} | ${n0(t.batch?.perSecond)} | ${n0(t.consume?.[1])} | ${n0(t.consume?.[50])} | ${f2(t.e2e?.p50)} / ${f2(t.e2e?.p99)} | ${sync(1)} / ${sync(10)} | ${rss} | ${kill} | ${t.load ?? '–'} |`
    )
  }
  L.push('')
  L.push('| almacen against the brokers, this run | value | target | |')
  L.push('|---|---|---|---|')
  for (const g of goals(r))
    L.push(
      `| ${g.what} | ${g.ratio === null ? '–' : f2(g.ratio)} | ${g.target} | ${g.met === null ? 'not measured' : g.met ? 'met' : '**NOT met**'} |`
    )
  for (const s of r.skipped) L.push(`\nSkipped: ${s}`)
  return L.join('\n')
}
