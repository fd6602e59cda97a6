// The membership part of `npm run bench`: N real nodes on loopback (N = 5, 10, 20), the same
// phases as the Serf anchor, Serf itself in the same run, and a host cut off in a namespace.
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { median } from '../summary.ts'
import { cutTest, type CutResult } from './netns.ts'
import { extras, sizeRun, type Extras, type SizeRun } from './phases.ts'
import { runSerf, type SerfResult } from './serf.ts'

export interface MembershipOptions {
  sizes: number[]
  runs: number
  trials: number
  loadSecs: number
  idleMs: number
  /** The sizes Serf runs at, in the same run (none: not run). */
  serfSizes: number[]
}

export const PRESETS: Record<'quick' | 'default' | 'full', MembershipOptions> = {
  quick: { sizes: [5], runs: 1, trials: 2, loadSecs: 10, idleMs: 5000, serfSizes: [] },
  default: {
    sizes: [5, 10, 20],
    runs: 2,
    trials: 3,
    loadSecs: 60,
    idleMs: 10_000,
    serfSizes: [5, 20],
  },
  full: {
    sizes: [5, 10, 20],
    runs: 3,
    trials: 20,
    loadSecs: 60,
    idleMs: 30_000,
    serfSizes: [5, 10, 20],
  },
}

const secs = (ms: number | null | undefined) =>
  ms === null || ms === undefined || Number.isNaN(ms) ? '  —  ' : (ms / 1000).toFixed(2)
const cell = (values: (number | null)[]) => {
  const known = values.filter((v): v is number => v !== null)
  const missing = values.length - known.length
  return `${secs(median(known))} [${secs(Math.max(...known))}]${missing ? ` (${missing} timed out)` : ''}`
}

function printSizes(runs: SizeRun[], serf: SerfResult) {
  console.log(
    '\nMembership on loopback, seconds: median [worst] over runs; poll = what GET /members shows'
  )
  console.log(
    'N   join storm      kill -9 → failed   restart → alive   leave → left    left seen failed   idle CPU/node (of it membership)   RSS/node'
  )
  for (const n of [...new Set(runs.map((r) => r.n))]) {
    const at = runs.filter((r) => r.n === n)
    console.log(
      [
        String(n).padEnd(3),
        cell(at.map((r) => r.joinPollMs)).padEnd(15),
        cell(at.map((r) => r.crashPollMs)).padEnd(18),
        cell(at.map((r) => r.restartPollMs)).padEnd(17),
        cell(at.map((r) => r.leavePollMs)).padEnd(15),
        `${at.reduce((s, r) => s + r.leaveSeenAsFailed, 0)} of ${at.length}`.padEnd(18),
        `${median(at.map((r) => r.idleCpuPct)).toFixed(2)} % (${median(
          at.map((r) => r.idleCpuPct - r.loneCpuPct)
        ).toFixed(2)} %)`.padEnd(34),
        `${median(at.map((r) => r.rssMb)).toFixed(0)} MB`,
      ].join(' ')
    )
    const s = serf.rows.filter((r) => r.n === n)
    if (s.length) {
      const ms = (f: (r: (typeof s)[number]) => number) => s.map((r) => f(r) * 1000)
      console.log(
        [
          ' serf',
          cell(ms((r) => r.joinPollS)).padEnd(14),
          cell(ms((r) => r.crashPollS)).padEnd(18),
          cell(ms((r) => r.rejoinPollS)).padEnd(17),
          cell(ms((r) => r.leavePollS)).padEnd(15),
          `${s.reduce((sum, r) => sum + (r.leaveSeenAsFailedBy > 0 ? 1 : 0), 0)} of ${s.length}`.padEnd(
            18
          ),
          `${median(s.map((r) => r.idleCpuPct)).toFixed(2)} %`.padEnd(34),
          `${median(s.map((r) => r.idleRssMb)).toFixed(0)} MB`,
        ].join(' ')
      )
    }
  }
}

function printExtras(x: Extras, cut: CutResult) {
  const within = (xs: (number | null)[], ms: number) =>
    xs.filter((v) => v !== null && v <= ms).length
  console.log(`\nAt N = ${x.n}:`)
  console.log(
    `  CPU oversubscribed (${x.load.procs} busy loops on ${cpus().length} cores, ${x.load.secs} s): ${x.load.falseFailures} false failures, ${x.load.falseSuspects} false suspicions; a kill -9 meanwhile seen by all in ${secs(x.load.crashPollMs)} s`
  )
  console.log(
    `  frozen ${x.pause.secs} s (SIGSTOP): failed by ${x.pause.failedBy} of ${x.n - 1}, suspected by ${x.pause.suspectedBy}; all see it alive ${secs(x.pause.aliveAgainMs)} s after SIGCONT`
  )
  console.log(
    `  join storms: ${within(x.storms, 2500)} of ${x.storms.length} seen by all within 2.5 s; median ${secs(median(x.storms.filter((v): v is number => v !== null)))} s, worst ${secs(Math.max(...x.storms.map((v) => v ?? Infinity)))} s`
  )
  console.log(
    `  graceful leaves: ${x.leaves.filter((l) => l.seenAsFailed > 0).length} of ${x.leaves.length} ever reported as failed; seen as left by all in median ${secs(median(x.leaves.map((l) => l.pollMs ?? NaN)))} s`
  )
  console.log(
    `  restarts from disk alone: ${within(x.restarts, 1000)} of ${x.restarts.length} seen alive by all within 1 s of the restart command (median ${secs(median(x.restarts.filter((v): v is number => v !== null)))} s)`
  )
  if (cut.skipped) console.log(`  host cut off (netns): skipped, ${cut.skipped}`)
  else
    console.log(
      `  host cut off (netns, N = ${cut.n}): failed by all in ${secs(cut.failedByAllMs)} s; alive again ${secs(cut.aliveAgainMs)} s after the link came back`
    )
}

export async function runMembership(options: MembershipOptions, preset = 'default') {
  const started = Date.now()
  const runs: SizeRun[] = []
  for (const n of options.sizes) {
    for (let run = 0; run < options.runs; run++) {
      process.stderr.write(`membership: N=${n} run ${run + 1}/${options.runs}\n`)
      runs.push(await sizeRun(n, 29100, options.idleMs))
    }
  }
  const largest = Math.max(...options.sizes)
  process.stderr.write(`membership: extras at N=${largest}\n`)
  const x = await extras(largest, 29300, { loadSecs: options.loadSecs, trials: options.trials })
  process.stderr.write('membership: host cut off (network namespaces)\n')
  const cut = await cutTest(5)
  process.stderr.write('membership: serf, same phases\n')
  const serf = options.serfSizes.length
    ? await runSerf({
        SIZES: options.serfSizes.join(' '),
        RUNS: '1',
        EXTRAS: '0',
        IDLE_WINDOW: String(Math.round(options.idleMs / 1000)),
      })
    : { rows: [], extras: {}, skipped: 'not run (--quick)' }
  printSizes(runs, serf)
  if (serf.skipped) console.log(` serf: ${serf.skipped}`)
  printExtras(x, cut)
  const results = {
    date: new Date().toISOString(),
    options,
    runs,
    extras: x,
    cut,
    serf,
    seconds: (Date.now() - started) / 1000,
  }
  mkdirSync('bench/results', { recursive: true }) // npm run bench runs from the repository
  const stamp = results.date.replace(/[:.]/g, '-')
  // A smoke run's file says so, like the HTTP part's.
  const file = `bench/results/membership-${stamp}${preset === 'quick' ? '-quick' : ''}.json`
  writeFileSync(file, JSON.stringify(results, null, 2))
  console.log(`\nresults: ${file} (${results.seconds.toFixed(0)} s)`)
  return results
}
