// The replication part's tables and the issue's targets, judged on this run's own figures.
import type { Machine } from '../report.ts'
import { median } from '../summary.ts'
import type { Target } from '../summary.ts'
import type { CostRun } from './cost.ts'
import type { ReplicationResult } from './main.ts'

const mark = (met: boolean | null) => (met === null ? 'n/a' : met ? 'met' : 'NOT met')
const md = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`
const rule = (k: number) => md(Array(k).fill('---'))
const n = (v: number) => Math.round(v).toLocaleString('en-US')

export function replicationTargets(r: ReplicationResult): Target[] {
  const { catchUp, lag, stock, cost } = r
  const budget = stock.deadlineMs + stock.slackMs
  const measured = stock.sizes.flatMap((s) => ('notMeasured' in s ? [] : [s]))
  const missing = stock.sizes.flatMap((s) => ('notMeasured' in s ? [s.nodes] : []))
  const worst = Math.max(...measured.flatMap((s) => [s.live.worst, s.frozen.worst]))
  const ratio = (kase: string) => cost.cases.find((c) => c.kase === kase)?.ratio ?? null
  const atLeast = (what: string, value: number | null, goal: number, unit: string): Target => ({
    what,
    goal: `≥ ${goal}${unit}`,
    measured: value === null ? 'n/a' : `${value}${unit}`,
    met: value === null ? null : value >= goal,
  })
  return [
    atLeast(
      'catch-up of a backlog, node to node (median)',
      catchUp.rowsPerSecond,
      20_000,
      ' rows/s'
    ),
    atLeast(`catch-up ÷ in-process ceiling (page ${catchUp.page})`, catchUp.ratio, 0.4, '×'),
    {
      what: 'catch-up: the replica holds every row, verified',
      goal: 'every run',
      measured: `${catchUp.runs.filter((x) => x.verified).length}/${catchUp.runs.length}`,
      met: catchUp.verified,
    },
    {
      what: `replication lag at ${lag.targetRate}/s, N = ${lag.nodes}: p50 / p99`,
      goal: '≤ 100 ms / ≤ 1000 ms',
      measured: `${lag.p50} / ${lag.p99} ms`,
      met: lag.p50 <= 100 && lag.p99 <= 1000,
    },
    {
      what: `network stock answer, N = ${stock.sizes.map((s) => s.nodes).join(', ')}, live and 2 frozen`,
      goal: `always ≤ ${budget} ms`,
      measured: [
        ...(measured.length ? [`worst ${worst} ms`] : []),
        ...(missing.length ? [`N = ${missing.join(', ')} not measured`] : []),
      ].join('; '),
      met: worst <= budget && missing.length === 0,
    },
    atLeast('reads @50 with 4 peers replicating ÷ alone', ratio('read'), 0.8, '×'),
    atLeast('receipts @50 with 4 peers replicating ÷ alone', ratio('receipt'), 0.8, '×'),
    {
      what: `restore of ${r.restore.rows} rows: verified and serving`,
      goal: r.restore.rows >= 1_000_000 ? '≤ 60 s' : '≤ 60 s at 1M (this run is smaller)',
      measured: `${r.restore.seconds} s${r.restore.verified ? '' : ' (NOT verified)'}`,
      met: r.restore.rows >= 1_000_000 ? r.restore.verified && r.restore.seconds <= 60 : null,
    },
  ]
}

type Report = ReplicationResult & {
  date: string
  command: string
  machine: Machine
  targets: Target[]
}

export function formatReplication(r: Report): string {
  const m = r.machine
  const { catchUp, lag, stock, cost } = r
  return [
    `Measured ${r.date} on ${m.cores} × ${m.cpu} (${m.memoryGb} GiB, Linux ${m.kernel}), Node ${m.node}, every node and the load generator on the same machine; command: \`${r.command}\`.`,
    '',
    `Catch-up of ${n(catchUp.rows)} rows (page ${catchUp.page}), rows/s; the ceiling is ../shared/anchors/replication/ run right after each catch-up; medians (the ratio: of the runs' ratios):`,
    '',
    md(['run', 'node to node', 'from B start (join included)', 'verified', 'ceiling', 'ratio']),
    rule(6),
    ...catchUp.runs.map((x, i) =>
      md([
        i + 1,
        n(x.rowsPerSecond),
        `${x.wholeSeconds.toFixed(2)} s`,
        x.verified ? 'yes' : 'NO',
        x.ceiling ? n(x.ceiling.rowsPerSecond) : 'n/a',
        x.ceiling ? (x.rowsPerSecond / x.ceiling.rowsPerSecond).toFixed(2) : 'n/a',
      ])
    ),
    md([
      'median',
      n(catchUp.rowsPerSecond),
      '',
      '',
      catchUp.ceiling ? n(catchUp.ceiling) : 'n/a',
      `${catchUp.ratio ?? 'n/a'}`,
    ]),
    '',
    `Replication lag, ${lag.targetRate} receipts/s at the owner for ${lag.seconds} s, N = ${lag.nodes}: from the 201 at the client to the first poll of GET /replicas/:owner (every ${lag.pollMs} ms on each replica) showing it in every replica, ms${lag.warmup ? ` (after ${lag.warmup.seconds} s of the same load, not counted: p50 ${lag.warmup.p50}, p99 ${lag.warmup.p99})` : ''}:`,
    '',
    md(['run', 'receipts', 'rate /s', 'p50', 'p99', 'max']),
    rule(6),
    ...lag.runs.map((x, i) => md([i + 1, x.acknowledged, x.rate, x.p50, x.p99, x.max])),
    md(['median / worst', '', '', lag.p50, lag.p99, lag.max]),
    '',
    `GET /network/stock/:sku?deadlineMs=${stock.deadlineMs} at the first node, one query after another, ms (late: over ${stock.deadlineMs + stock.slackMs} ms; timed out: answers that said a warehouse missed the deadline):`,
    '',
    md(['N', 'peers', 'queries', 'p50', 'p99', 'worst', 'late', 'timed out']),
    rule(8),
    ...stock.sizes.flatMap((s) =>
      'notMeasured' in s
        ? [md([s.nodes, `not measured: ${s.notMeasured}`, '', '', '', '', '', ''])]
        : (['live', 'frozen'] as const).map((k) =>
            md([
              s.nodes,
              k === 'live' ? 'all live' : '2 frozen',
              s[k].queries,
              s[k].p50,
              s[k].p99,
              s[k].worst,
              s[k].late,
              s[k].timedOut,
            ])
          )
    ),
    '',
    `Reads and receipts at ${cost.connections} connections on one node, alone and with ${cost.peers} peers replicating from it (on this machine too), req/s and CPU in cores (medians of runs; others: everything outside this bench):`,
    '',
    md([
      'case',
      'alone',
      'node CPU',
      'others',
      'with peers',
      'node CPU',
      'peers CPU',
      'others',
      'ratio',
      'per node core',
    ]),
    rule(10),
    ...cost.cases.map((c) => {
      const m = (runs: CostRun[], k: keyof CostRun) => median(runs.map((r) => r[k]))
      const [a, w] = [c.alone, c.withPeers]
      return md([
        c.kase,
        n(m(a, 'rps')),
        m(a, 'nodeCpu'),
        m(a, 'otherCpu'),
        n(m(w, 'rps')),
        m(w, 'nodeCpu'),
        m(w, 'peersCpu'),
        m(w, 'otherCpu'),
        `${c.ratio}×`,
        `${c.perCoreRatio}×`,
      ])
    }),
    '',
    `Restore of a ${n(r.restore.rows)}-row ledger: A seeded, B replicates it whole, A killed and its data directory deleted, A started with --restore; seconds from that start to A answering GET /node (pulled, re-hashed, balances set, verified):`,
    '',
    md(['run', 'rows restored', 'rows verified', 'seconds', 'rows/s']),
    rule(5),
    ...r.restore.runs.map((x, i) =>
      md([
        i + 1,
        n(x.restoredTo),
        n(x.verified),
        x.seconds.toFixed(2),
        n(Math.round(x.restoredTo / x.seconds)),
      ])
    ),
    '',
    md(['target', 'goal', 'measured', '']),
    rule(4),
    ...r.targets.map((t) => md([t.what, t.goal, t.measured, mark(t.met)])),
  ].join('\n')
}
