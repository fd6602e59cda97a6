// The backup part of `npm run bench`: does a backup of a big database stop the warehouse? A node
// on a ledger of 1M movements (100k with --quick) serves reads at 50 connections alone, then
// while POST /backup copies its database; the target is a p99 during the backup within 2× of the
// p99 alone. Then one writer records a receipt after another, alone and during a backup, to show
// whether the copy holds commits up; and VACUUM INTO, the other way to copy, is timed on the same
// file: the time it would hold the worker's one connection, were it run there.
import { rm } from 'node:fs/promises'
import path from 'node:path'
import Database from 'better-sqlite3'
import { databaseFile } from '../db/knex-config.ts'
import { nodeFetch } from '../tests/fixtures/tokens.ts'
import type { BenchOptions } from './options.ts'
import { skuOf } from './seed.ts'
import { median } from './summary.ts'
import { startServer, type RunningServer } from './server-process.ts'
import {
  ALMACEN,
  CONNECTIONS,
  n,
  p99Ratio,
  seedBig,
  P99_RATIO_GOAL,
  reads,
  readsHeader,
  readsLine,
  show,
  type Reads,
} from './verify-under-load.ts'

interface Writes {
  count: number
  p50: number
  maxMs: number
}

export interface BackupRun {
  alone: Reads
  during: Reads
  backupMs: number
}

export interface BackupUnderLoad {
  movements: number
  bytes: number
  /** POST /backup with nothing else running (the file already in the page cache). */
  aloneMs: number
  /** VACUUM INTO of the same file, alone: what it would hold the worker's connection for. */
  vacuumIntoMs: number
  runs: BackupRun[]
  /** Receipts recorded one after another, with no other load: alone, then during a backup. */
  writes: { alone: Writes; during: Writes; backupMs: number }
  p99Alone: number
  p99During: number
  backupMs: number
  ratio: number
  met: boolean
}

type Say = (line: string) => void

async function backupOnce(server: RunningServer, dir: string) {
  const started = performance.now()
  const response = await nodeFetch(`${server.url}/backup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  })
  const body = (await response.json()) as { name: string; bytes: number }
  const ms = Math.round(performance.now() - started)
  if (response.status !== 201) throw new Error(`POST /backup answered ${response.status}`)
  await rm(path.join(dir, 'backups', body.name)) // the disk holds one copy at a time
  return { ms, bytes: body.bytes }
}

/** Receipts one after another until `until` settles: how many, and how long they took. */
async function writesUntil(server: RunningServer, until: Promise<unknown>): Promise<Writes> {
  let done = false
  void until.finally(() => (done = true))
  const times: number[] = []
  while (!done) {
    const started = performance.now()
    const response = await nodeFetch(`${server.url}/movements`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'receipt', sku: skuOf(times.length % 100), quantity: 1 }),
    })
    await response.arrayBuffer()
    if (response.status !== 201) throw new Error(`POST /movements answered ${response.status}`)
    times.push(performance.now() - started)
  }
  times.sort((a, b) => a - b)
  const ms = (v: number | undefined) => Math.round((v ?? 0) * 10) / 10
  return { count: times.length, p50: ms(times[times.length >> 1]), maxMs: ms(times.at(-1)) }
}

function vacuumInto(file: string, into: string): number {
  const db = new Database(file, { readonly: true })
  const started = performance.now()
  db.exec(`VACUUM INTO '${into.replaceAll("'", "''")}'`)
  const ms = Math.round(performance.now() - started)
  db.close()
  return ms
}

export async function runBackupUnderLoad(
  options: BenchOptions,
  say: Say
): Promise<BackupUnderLoad> {
  const { root, dir, movements } = await seedBig(options, say, 'backup')
  let server: RunningServer | undefined
  try {
    const vacuumed = path.join(root, 'vacuumed.sqlite')
    const vacuumIntoMs = vacuumInto(databaseFile(dir), vacuumed)
    await rm(vacuumed)
    say(`VACUUM INTO of the same file, alone: ${vacuumIntoMs} ms`)
    server = await startServer(ALMACEN, dir)
    say(`almacen: ready in ${server.readyMs} ms at ${server.url} (pid ${server.pid})`)

    const alone = await backupOnce(server, dir)
    say(`backup alone: ${alone.ms} ms, ${n(alone.bytes)} bytes`)
    await reads(server, options, 'backup-warm', options.warmup)
    const seconds = Math.max(3, options.duration, alone.ms / 1000)
    const runs: BackupRun[] = []
    for (let run = 1; run <= options.runs; run++) {
      const readsAlone = await reads(server, options, `backup-alone-${run}`, seconds)
      const backingUp = backupOnce(server, dir)
      const readsDuring = await reads(server, options, `backup-during-${run}`, 0, backingUp)
      const during = await backingUp
      runs.push({ alone: readsAlone, during: readsDuring, backupMs: during.ms })
      say(`run ${run}/${options.runs}: reads c=${CONNECTIONS} alone: ${show(readsAlone)}`)
      say(`run ${run}/${options.runs}: during a backup of ${during.ms} ms: ${show(readsDuring)}`)
    }
    // Commits beside the copy: one writer, alone and then during a backup (each fsyncs).
    const writesAlone = await writesUntil(
      server,
      new Promise((resolve) => setTimeout(resolve, seconds * 1000))
    )
    const backingUp = backupOnce(server, dir)
    const writesDuring = await writesUntil(server, backingUp)
    const writes = { alone: writesAlone, during: writesDuring, backupMs: (await backingUp).ms }
    say(`receipts one after another alone: ${JSON.stringify(writesAlone)}`)
    say(`receipts during a backup of ${writes.backupMs} ms: ${JSON.stringify(writesDuring)}`)
    const { p99Alone, p99During, ratio, met } = p99Ratio(runs)
    return {
      movements,
      bytes: alone.bytes,
      aloneMs: alone.ms,
      vacuumIntoMs,
      runs,
      writes,
      p99Alone,
      p99During,
      backupMs: median(runs.map((r) => r.backupMs)),
      ratio,
      met,
    }
  } finally {
    await server?.stop()
    if (!options.keep) await rm(root, { recursive: true, force: true })
  }
}

/** The part's table, printed and kept in its results file. */
export function formatBackupUnderLoad(r: BackupUnderLoad): string {
  return [
    `A backup (POST /backup) of a database of ${n(r.movements)} movements (${n(r.bytes / 1e6)} MB) took ${n(r.aloneMs)} ms alone and ${n(r.backupMs)} ms (median) under reads at ${CONNECTIONS} connections. VACUUM INTO of the same file took ${n(r.vacuumIntoMs)} ms alone: the time it would hold the worker's one connection.`,
    '',
    ...readsHeader,
    ...r.runs.flatMap((run, i) => [
      readsLine(`run ${i + 1}: alone`, run.alone),
      readsLine(`run ${i + 1}: during the backup (${n(run.backupMs)} ms)`, run.during),
    ]),
    '',
    `Receipts recorded one after another by one writer (each a commit with its fsync): alone ${r.writes.alone.count}, p50 ${r.writes.alone.p50} ms, slowest ${r.writes.alone.maxMs} ms; during a backup of ${n(r.writes.backupMs)} ms ${r.writes.during.count}, p50 ${r.writes.during.p50} ms, slowest ${r.writes.during.maxMs} ms.`,
    '',
    `p99 during ÷ p99 alone (medians, ${r.p99During} ÷ ${r.p99Alone} ms): ${r.ratio}× (goal ≤ ${P99_RATIO_GOAL}×): ${r.met ? 'met' : 'NOT met'}`,
  ].join('\n')
}
