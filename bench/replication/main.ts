// The replication part of `npm run bench`: real nodes (the built node, as `npm start` runs it) on
// loopback with one cluster key. Catch-up of a backlog against the in-process ceiling measured in
// the same run; replication lag at a steady write rate; network stock answer times, all live and
// with two peers frozen; what replicating to 4 peers costs a node's reads and receipts. Prints
// the tables and the issue's targets, and writes bench/results/replication-<date>.json and .md.
import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { BenchOptions } from '../options.ts'
import { machine } from '../report.ts'
import { ROOT } from '../server-process.ts'
import { median } from '../summary.ts'
import { catchUpOnce, ceiling, CATCH_UP_PAGE, type CatchUpRun, type Ceiling } from './catch-up.ts'
import { runCost } from './cost.ts'
import { runLag } from './lag.ts'
import { DEADLINE_MS, runNetworkStock, SLACK_MS } from './network-stock.ts'
import { formatReplication, replicationTargets } from './report.ts'
import { describeRestore, restoreOnce, type RestoreRun } from './restore.ts'

type Say = (line: string) => void

export interface ReplicationSettings {
  catchUpRows: number
  catchUpRuns: number
  lag: { nodes: number; rate: number; seconds: number; runs: number; warmupSeconds: number }
  stock: { sizes: number[]; queries: number }
  restoreRows: number
  restoreRuns: number
}

export function replicationSettings(options: BenchOptions): ReplicationSettings {
  return options.quick
    ? {
        catchUpRows: 20_000,
        catchUpRuns: 1,
        lag: { nodes: 5, rate: 500, seconds: 3, runs: 1, warmupSeconds: 1 },
        stock: { sizes: [5], queries: 10 },
        restoreRows: 20_000,
        restoreRuns: 1,
      }
    : {
        catchUpRows: 100_000,
        catchUpRuns: options.runs,
        lag: { nodes: 5, rate: 500, seconds: 10, runs: options.runs, warmupSeconds: 3 },
        stock: { sizes: [5, 10, 20], queries: 30 },
        restoreRows: 1_000_000,
        restoreRuns: 1,
      }
}

/** Catch-up runs, each beside a run of the ceiling, so both see the same machine. */
async function runCatchUp(s: ReplicationSettings, say: Say) {
  const runs: (CatchUpRun & { ceiling: Ceiling | null })[] = []
  for (let i = 0; i < s.catchUpRuns; i++) {
    const run = await catchUpOnce(s.catchUpRows, say)
    const anchor = await ceiling(s.catchUpRows)
    say(
      `  catch-up run ${i + 1}/${s.catchUpRuns}: ${run.rowsPerSecond} rows/s node to node (${run.wholeSeconds.toFixed(2)} s from B's start, ${run.verified ? 'verified' : 'NOT verified'}); ceiling ${anchor ? `${anchor.rowsPerSecond} rows/s` : 'not found'}`
    )
    runs.push({ ...run, ceiling: anchor })
  }
  const rates = runs.map((r) => r.rowsPerSecond)
  const ceilings = runs.flatMap((r) => (r.ceiling ? [r.ceiling.rowsPerSecond] : []))
  // Each run against the ceiling measured right after it, on the machine as it was then.
  const ratios = runs.flatMap((r) => (r.ceiling ? [r.rowsPerSecond / r.ceiling.rowsPerSecond] : []))
  const ratio = ratios.length ? Math.round(median(ratios) * 100) / 100 : null
  return {
    rows: s.catchUpRows,
    page: CATCH_UP_PAGE,
    runs,
    rowsPerSecond: median(rates),
    worst: Math.min(...rates),
    ceiling: ceilings.length ? median(ceilings) : null,
    ratio,
    verified: runs.every((r) => r.verified),
  }
}

/** Restores of a ledger of `restoreRows` rows from a peer's replica: the median and worst. */
async function runRestore(s: ReplicationSettings, say: Say) {
  const runs: RestoreRun[] = []
  for (let i = 0; i < s.restoreRuns; i++) {
    const run = await restoreOnce(s.restoreRows, () => undefined)
    say(`  restore run ${i + 1}/${s.restoreRuns}: ${describeRestore(run)}`)
    runs.push(run)
  }
  const seconds = runs.map((r) => r.seconds)
  return {
    rows: s.restoreRows,
    runs,
    seconds: Math.round(median(seconds) * 100) / 100,
    worst: Math.round(Math.max(...seconds) * 100) / 100,
    verified: runs.every((r) => r.restoredTo === s.restoreRows && r.verified >= s.restoreRows),
  }
}

export type ReplicationResult = Awaited<ReturnType<typeof measureReplication>>

async function measureReplication(options: BenchOptions, say: Say) {
  const settings = replicationSettings(options)
  say(`catch-up of ${settings.catchUpRows} rows, node to node and in-process ceiling:`)
  const catchUp = await runCatchUp(settings, say)
  say(`replication lag at ${settings.lag.rate} movements/s, N = ${settings.lag.nodes}:`)
  const lag = await runLag(settings.lag, say)
  say(
    `GET /network/stock/:sku at N = ${settings.stock.sizes.join(', ')}, deadline ${DEADLINE_MS} ms:`
  )
  const stock = await runNetworkStock(settings.stock, say)
  say('reads and receipts at 50 connections, alone and with 4 peers replicating:')
  const cost = await runCost(options, say)
  say(`restore of a ${settings.restoreRows}-row ledger from a peer's replica:`)
  const restore = await runRestore(settings, say)
  return {
    settings,
    catchUp,
    lag,
    stock: { deadlineMs: DEADLINE_MS, slackMs: SLACK_MS, sizes: stock },
    cost,
    restore,
  }
}

/** Runs the part, prints its tables, writes its results; true when every catch-up verified. */
export async function runReplication(options: BenchOptions, command: string, say: Say) {
  const started = new Date()
  const result = await measureReplication(options, say)
  const report = {
    date: started.toISOString(),
    command,
    machine: machine(),
    ...result,
    targets: replicationTargets(result),
  }
  const text = formatReplication(report)
  say('')
  say(text)
  const dir = path.join(ROOT, 'bench', 'results')
  await mkdir(dir, { recursive: true })
  const name = `replication-${started.toISOString().replace(/[:.]/g, '-')}${options.quick ? '-quick' : ''}`
  await writeFile(path.join(dir, `${name}.json`), `${JSON.stringify(report, null, 2)}\n`)
  await writeFile(path.join(dir, `${name}.md`), `${text}\n`)
  say(`\nresults: bench/results/${name}.json (and .md)`)
  return result.catchUp.verified
}
