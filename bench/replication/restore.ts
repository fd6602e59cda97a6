// How long a warehouse whose disk died takes to serve again from its peer's replica, through the
// real stack: A is seeded with a ledger, B replicates it whole, A is killed and its data directory
// deleted, then A starts with --restore; the time is from that start to A answering GET /node
// (the whole ledger pulled, re-hashed page by page, balances set, everything verified).
// Part of `npm run bench -- --part replication` (1M rows; 20k with --quick); alone:
//   node --import tsx bench/replication/restore.ts [rows=200000] [runs=1]
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { CLUSTER_KEY, startProcess } from '../../tests/fixtures/node-process.ts'
import { seedLedger } from '../../tests/fixtures/seed-ledger.ts'
import { api } from '../../tests/fixtures/test-node.ts'

const env = { ALMACEN_CLUSTER_KEY: CLUSTER_KEY }

export interface RestoreRun {
  /** From the restoring node's start to it answering GET /node. */
  seconds: number
  restoredTo: number
  verified: number
}

/** One restore of a `rows`-row ledger; `say` gets where the time went, from the node's log. */
export async function restoreOnce(
  rows: number,
  say: (line: string) => void = console.error
): Promise<RestoreRun> {
  const cleanups: (() => unknown)[] = []
  const t = { teardown: (fn: () => unknown) => cleanups.push(fn) }
  const dirs = ['a', 'b'].map((n) => mkdtempSync(path.join(tmpdir(), `almacen-restore-${n}-`)))
  cleanups.push(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })))
  try {
    const aId = await seedLedger(dirs[0], { name: 'A', items: 50, movements: rows })
    const a = await startProcess(t, ['--port', '0', '--data-dir', dirs[0], '--name', 'A'], env)
    const b = await startProcess(
      t,
      ['--port', '0', '--data-dir', dirs[1], '--name', 'B', '--join', a.url],
      env
    )
    for (;;) {
      const { status, body } = await api(b, 'GET', `/replicas/${aId}`)
      if (status === 200 && body.cursor.ledger.seq >= rows) break
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    a.child.kill('SIGKILL')
    await a.exited
    rmSync(dirs[0], { recursive: true, force: true })
    const started = performance.now()
    const args = ['--port', '0', '--data-dir', dirs[0], '--name', 'A', '--join', b.url]
    const restored = await startProcess(t, [...args, '--restore'], env)
    for (;;) {
      if ((await api(restored, 'GET', '/node')).status === 200) break
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    const seconds = (performance.now() - started) / 1000
    // Where the time went, from the restoring node's own log.
    const t0 = Date.parse(String(restored.lines[0]?.time))
    for (const line of restored.lines) {
      if (/restor|listening/.test(String(line.msg))) {
        say(
          `  +${((Date.parse(String(line.time)) - t0) / 1000).toFixed(2)} s ${String(line.msg).slice(0, 90)}`
        )
      }
    }
    const { body } = await api(restored, 'GET', '/ledger/restore')
    if (body.nodeId !== aId) throw new Error(`restored as ${body.nodeId}, not ${aId}`)
    return { seconds, restoredTo: body.restoredTo.seq, verified: body.verified.movements }
  } finally {
    for (const fn of cleanups.reverse()) await fn()
  }
}

/** The sentence a run is reported with. */
export function describeRestore(r: RestoreRun): string {
  return (
    `restore of ${r.restoredTo} rows (${r.verified} verified) from data dir deleted to serving: ` +
    `${r.seconds.toFixed(2)} s (${Math.round(r.restoredTo / r.seconds)} rows/s)`
  )
}

async function main(rows: number, runs: number) {
  const times: number[] = []
  for (let i = 0; i < runs; i++) {
    const r = await restoreOnce(rows)
    console.log(describeRestore(r))
    times.push(r.seconds)
  }
  if (runs > 1) {
    const sorted = [...times].sort((x, y) => x - y)
    console.log(
      `median ${sorted[Math.floor(sorted.length / 2)].toFixed(2)} s, worst ${sorted.at(-1)?.toFixed(2)} s`
    )
  }
  process.exit(0)
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main(Number(process.argv[2] ?? 200_000), Number(process.argv[3] ?? 1))
}
