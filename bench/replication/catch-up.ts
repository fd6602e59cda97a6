// How fast a node catches up on a peer's ledger, node to node through the real stack (two node
// processes, signed HTTP, the worker hop, SQLite with synchronous=FULL): A is seeded with a
// backlog, B starts and joins it; the rate is the rows B's replica gained per second, from its
// first row to the last. Compare with ../shared/anchors/replication/ (the in-process ceiling).
//   node --import tsx bench/replication/catch-up.ts [rows=100000] [runs=1]
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { CLUSTER_KEY, startProcess } from '../../tests/fixtures/node-process.ts'
import { seedLedger } from '../../tests/fixtures/seed-ledger.ts'
import { api } from '../../tests/fixtures/test-node.ts'

const rows = Number(process.argv[2] ?? 100_000)
const runs = Number(process.argv[3] ?? 1)
// Info: the harness waits for the node's "listening" line.
const env = { ALMACEN_CLUSTER_KEY: CLUSTER_KEY }

interface Run {
  /** From B's first replica row to its last. */
  rowsPerSecond: number
  seconds: number
  /** From B listening (joining included) to its last row. */
  wholeSeconds: number
}

async function once(): Promise<Run> {
  const cleanups: (() => unknown)[] = []
  const t = { teardown: (fn: () => unknown) => cleanups.push(fn) }
  const dirs = ['a', 'b'].map((n) => mkdtempSync(path.join(tmpdir(), `almacen-catchup-${n}-`)))
  cleanups.push(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })))
  try {
    const seeded = performance.now()
    const aId = await seedLedger(dirs[0], { name: 'A', items: 50, movements: rows })
    console.error(`seeded ${rows} rows in ${Math.round(performance.now() - seeded)} ms`)
    const a = await startProcess(t, ['--port', '0', '--data-dir', dirs[0], '--name', 'A'], env)
    const started = performance.now()
    const b = await startProcess(
      t,
      ['--port', '0', '--data-dir', dirs[1], '--name', 'B', '--join', a.url],
      env
    )
    let first: { at: number; seq: number } | undefined
    for (;;) {
      const { status, body } = await api(b, 'GET', `/replicas/${aId}`)
      const seq = status === 200 ? body.cursor.ledger.seq : 0
      const at = performance.now()
      if (seq > 0 && !first) first = { at, seq }
      if (seq >= rows && first) {
        const seconds = (at - first.at) / 1000
        const wholeSeconds = (at - started) / 1000
        return { rowsPerSecond: Math.round((seq - first.seq) / seconds), seconds, wholeSeconds }
      }
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  } finally {
    for (const fn of cleanups.reverse()) await fn()
  }
}

const results = []
for (let i = 0; i < runs; i++) {
  const result = await once()
  console.log(
    `catch-up of ${rows} rows node to node: ${result.rowsPerSecond} rows/s ` +
      `(${result.seconds.toFixed(2)} s from the first row; ${result.wholeSeconds.toFixed(2)} s ` +
      `from B's start, joining included: ${Math.round(rows / result.wholeSeconds)} rows/s)`
  )
  results.push(result.rowsPerSecond)
}
if (runs > 1) {
  const sorted = [...results].sort((x, y) => x - y)
  console.log(`median ${sorted[Math.floor(sorted.length / 2)]} rows/s, worst ${sorted[0]} rows/s`)
}
process.exit(0)
