// The verify part of `npm run bench`: does a verify of a big ledger stop the warehouse? A node on
// a ledger of 1M movements (100k with --quick) serves reads at 50 connections alone, then while
// POST /ledger/verify runs; the target is a p99 during the verify within 2× of the p99 alone.
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { databaseFile } from '../db/knex-config.ts'
import { runLoad, type LoadResult } from './load.ts'
import type { BenchOptions } from './options.ts'
import { RunMonitor } from './proc.ts'
import { seedDatabase } from './seed.ts'
import { median } from './summary.ts'
import { SERVERS, startServer, type RunningServer } from './server-process.ts'
import { nodeFetch } from '../tests/fixtures/tokens.ts'

export const CONNECTIONS = 50
/** The target: reads' p99 during a verify at most this many times their p99 alone. */
export const P99_RATIO_GOAL = 2

export type Reads = LoadResult & { serverCpu: number; otherCpu: number }

/** One run: reads alone, then reads while a verify runs. */
export interface VerifyRun {
  alone: Reads
  during: Reads
  /** How long the verify under the reads took. */
  verifyMs: number
}

export interface VerifyUnderLoad {
  movements: number
  seedMs: number
  /** Start of the node on it (migrations and the ledger check at start included). */
  readyMs: number
  /** The verify with nothing else running, and its report. */
  aloneMs: number
  checked: number
  ok: boolean
  runs: VerifyRun[]
  /** Medians over the runs. */
  p99Alone: number
  p99During: number
  verifyMs: number
  /** p99 during ÷ p99 alone (medians). */
  ratio: number
  met: boolean
}

type Say = (line: string) => void

async function verifyOnce(server: RunningServer) {
  const started = performance.now()
  const response = await nodeFetch(`${server.url}/ledger/verify`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  })
  const body = (await response.json()) as { ok?: boolean; checked?: { movements: number } }
  const ms = Math.round(performance.now() - started)
  if (response.status !== 200) throw new Error(`POST /ledger/verify answered ${response.status}`)
  return { ms, ok: body.ok === true, checked: body.checked?.movements ?? 0 }
}

/** Reads for `seconds`, or until `until` settles (600 s at most). */
export async function reads(
  server: RunningServer,
  options: BenchOptions,
  runId: string,
  seconds: number,
  until?: Promise<unknown>
) {
  const monitor = new RunMonitor(server.pid)
  const result = await runLoad({
    url: server.url,
    kase: 'read',
    connections: CONNECTIONS,
    duration: until ? 600 : seconds,
    until,
    items: options.items,
    runId,
  })
  const { serverCpu, otherCpu } = monitor.stop()
  return { ...result, serverCpu, otherCpu }
}

/** The almacen server, as the parts under load start it. */
export const ALMACEN = SERVERS.find((s) => s.name === 'almacen') as (typeof SERVERS)[number]

/** A temporary folder for `part`, with a node's data directory seeded with the big ledger. */
export async function seedBig(options: BenchOptions, say: Say, part: string) {
  const root = await mkdtemp(path.join(tmpdir(), `almacen-bench-${part}-`))
  const movements = options.verifyMovements
  const dir = path.join(root, 'almacen')
  await mkdir(dir)
  const seeding = performance.now()
  await seedDatabase(databaseFile(dir), { items: options.items, movements })
  const seedMs = Math.round(performance.now() - seeding)
  say(`seeded ${options.items} items, ${movements} movements in ${seedMs} ms (${root})`)
  return { root, dir, movements, seedMs }
}

/** The medians of the runs' p99s, alone and during, and their ratio against the goal. */
export function p99Ratio(runs: { alone: Reads; during: Reads }[]) {
  const p99Alone = median(runs.map((r) => r.alone.p99))
  const p99During = median(runs.map((r) => r.during.p99))
  const ratio = Math.round((p99During / p99Alone) * 100) / 100
  const met = ratio <= P99_RATIO_GOAL && runs.every((r) => r.during.errors === 0)
  return { p99Alone, p99During, ratio, met }
}

export async function runVerifyUnderLoad(
  options: BenchOptions,
  say: Say
): Promise<VerifyUnderLoad> {
  const { root, dir, movements, seedMs } = await seedBig(options, say, 'verify')
  let server: RunningServer | undefined
  try {
    server = await startServer(ALMACEN, dir)
    say(`almacen: ready in ${server.readyMs} ms at ${server.url} (pid ${server.pid})`)

    const alone = await verifyOnce(server) // also brings the file into the page cache
    say(`verify alone: ${alone.ms} ms, ${alone.checked} movements, ${alone.ok ? 'ok' : 'NOT ok'}`)
    await reads(server, options, 'verify-warm', options.warmup)
    // Reads alone for about as long as a verify lasts, so both p99s rest on as many requests.
    const seconds = Math.max(3, options.duration, alone.ms / 1000)
    const runs: VerifyRun[] = []
    let ok = alone.ok
    for (let run = 1; run <= options.runs; run++) {
      const readsAlone = await reads(server, options, `verify-alone-${run}`, seconds)
      const verifying = verifyOnce(server)
      const readsDuring = await reads(server, options, `verify-during-${run}`, 0, verifying)
      const during = await verifying
      ok &&= during.ok
      runs.push({ alone: readsAlone, during: readsDuring, verifyMs: during.ms })
      say(`run ${run}/${options.runs}: reads c=${CONNECTIONS} alone: ${show(readsAlone)}`)
      say(`run ${run}/${options.runs}: during a verify of ${during.ms} ms: ${show(readsDuring)}`)
    }
    const { p99Alone, p99During, ratio, met } = p99Ratio(runs)
    return {
      movements,
      seedMs,
      readyMs: server.readyMs,
      aloneMs: alone.ms,
      checked: alone.checked,
      ok,
      runs,
      p99Alone,
      p99During,
      ratio,
      met,
      verifyMs: median(runs.map((r) => r.verifyMs)),
    }
  } finally {
    await server?.stop()
    if (!options.keep) await rm(root, { recursive: true, force: true })
  }
}

/** One run of reads, as a progress line says it. */
export const show = (r: Reads) =>
  `${r.rps} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms, errors ${r.errors}, others ${r.otherCpu} cores`

/** A whole number as the tables print it. */
export const n = (v: number) => Math.round(v).toLocaleString('en-US')

/** One run of reads as a row of the table under `readsHeader`. */
export const readsLine = (what: string, x: Reads) =>
  `| ${what} | ${n(x.rps)} | ${x.p50.toFixed(2)} | ${x.p99.toFixed(2)} | ${x.errors} | ${x.serverCpu.toFixed(2)} | ${x.otherCpu.toFixed(2)} |`

export const readsHeader = [
  `| reads (GET /stock/:sku) @${CONNECTIONS} | req/s | p50 ms | p99 ms | errors | server CPU | others CPU |`,
  '| --- | --- | --- | --- | --- | --- | --- |',
]

/** The part's table, printed and kept in its results file. */
export function formatVerifyUnderLoad(r: VerifyUnderLoad): string {
  const line = readsLine
  return [
    `A verify of ${n(r.movements)} movements (${r.ok ? 'ok' : 'NOT ok'}) took ${n(r.aloneMs)} ms alone and ${n(r.verifyMs)} ms (median) under reads at ${CONNECTIONS} connections; the node was ready ${n(r.readyMs)} ms after its start, its ledger check at start included.`,
    '',
    ...readsHeader,
    ...r.runs.flatMap((run, i) => [
      line(`run ${i + 1}: alone`, run.alone),
      line(`run ${i + 1}: during the verify (${n(run.verifyMs)} ms)`, run.during),
    ]),
    '',
    `p99 during ÷ p99 alone (medians, ${r.p99During} ÷ ${r.p99Alone} ms): ${r.ratio}× (goal ≤ ${P99_RATIO_GOAL}×): ${r.met ? 'met' : 'NOT met'}`,
  ].join('\n')
}
