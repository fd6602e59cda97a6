// How fast a node catches up on a peer's ledger, node to node through the real stack (two node
// processes, signed HTTP, the worker hop, SQLite with synchronous=FULL): A is seeded with a
// backlog, B starts and joins it; the rate is the rows B's replica gained per second, from its
// first row to the last. Then B's replica is verified: its head is A's head (same seq, same hash)
// and POST /replicas/:id/verify finds it whole. Beside it, in the same run, the in-process ceiling
// of ../shared/anchors/replication/ at the page size the node uses while far behind.
//   node --import tsx bench/replication/catch-up.ts [rows=100000] [runs=1]   (after npm run build)
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { DEFAULT_PULL } from '../../network/replication/puller.ts'
import { seedLedger } from '../../tests/fixtures/seed-ledger.ts'
import { ROOT } from '../server-process.ts'
import { getJson, Nodes, replicaSeq } from './nodes.ts'
import { nodeFetch } from '../../tests/fixtures/tokens.ts'

export interface CatchUpRun {
  /** From B's first replica row to its last. */
  rowsPerSecond: number
  seconds: number
  /** From B listening (joining included) to its last row. */
  wholeSeconds: number
  /** B's replica head is A's head and verifies whole. */
  verified: boolean
}

/** The page size the node asks for while far behind: the ceiling is measured with the same. */
export const CATCH_UP_PAGE = DEFAULT_PULL.bigPage

export async function catchUpOnce(rows: number, say: (line: string) => void): Promise<CatchUpRun> {
  const nodes = new Nodes()
  try {
    const seeding = performance.now()
    await seedLedger(nodes.dirOf('A'), { name: 'A', items: 50, movements: rows })
    say(`  seeded ${rows} rows in ${Math.round(performance.now() - seeding)} ms`)
    const a = await nodes.start('A')
    const started = performance.now()
    const b = await nodes.start('B', [a.url])
    let first: { at: number; seq: number } | undefined
    for (;;) {
      const seq = await replicaSeq(b, a)
      const at = performance.now()
      if (seq > 0 && !first) first = { at, seq }
      if (seq >= rows && first) {
        const seconds = (at - first.at) / 1000
        const run = {
          rowsPerSecond: Math.round((seq - first.seq) / seconds),
          seconds,
          wholeSeconds: (at - started) / 1000,
        }
        return { ...run, verified: await sameHead(a, b, rows) }
      }
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  } finally {
    await nodes.stop()
  }
}

/** B holds A's ledger up to `rows` with A's own hash there, and its replica verifies. */
async function sameHead(a: { url: string; id: string }, b: { url: string }, rows: number) {
  type Page = { movements: { seq: number; hash: string }[] }
  const own = await getJson<Page>(`${a.url}/movements?limit=1`)
  const held = await getJson<Page>(`${b.url}/replicas/${a.id}/movements?limit=1`)
  const check = await nodeFetch(`${b.url}/replicas/${a.id}/verify`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
  })
  const verify = (await check.json()) as { ok?: boolean }
  const [mine, theirs] = [own.movements[0], held.movements[0]]
  if (!mine || mine.seq !== rows) throw new Error(`A's head is ${mine?.seq}, not row ${rows}`)
  if (mine.hash !== theirs?.hash) throw new Error(`B's row ${theirs?.seq} is not A's head`)
  if (verify.ok !== true) throw new Error(`B's replica does not verify: ${JSON.stringify(verify)}`)
  return true
}

export interface Ceiling {
  rowsPerSecond: number
  page: number
}

/** The in-process ceiling (../shared/anchors/replication/pull-apply.mjs) at CATCH_UP_PAGE. */
export async function ceiling(rows: number): Promise<Ceiling | null> {
  const script = path.join(ROOT, '..', 'shared', 'anchors', 'replication', 'pull-apply.mjs')
  if (!existsSync(script)) return null
  const scratch = mkdtempSync(path.join(tmpdir(), 'almacen-pull-apply-'))
  try {
    const child = spawn(process.execPath, [script], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, ALMACEN_ROOT: ROOT, N: String(rows), TMPDIR: scratch },
    })
    let out = ''
    child.stdout.on('data', (chunk: Buffer) => (out += chunk))
    const code = await new Promise((resolve) => child.once('exit', resolve))
    const line = new RegExp(`limit=${CATCH_UP_PAGE}: .* = (\\d+) rows/s`).exec(out)
    if (code !== 0 || !line) throw new Error(`the anchor failed (${code}): ${out.slice(-500)}`)
    return { rowsPerSecond: Number(line[1]), page: CATCH_UP_PAGE }
  } finally {
    rmSync(scratch, { recursive: true, force: true })
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const rows = Number(process.argv[2] ?? 100_000)
  const runs = Number(process.argv[3] ?? 1)
  for (let i = 0; i < runs; i++) {
    const r = await catchUpOnce(rows, console.error)
    console.log(
      `catch-up of ${rows} rows node to node: ${r.rowsPerSecond} rows/s (${r.seconds.toFixed(2)} s from the first row; ${r.wholeSeconds.toFixed(2)} s from B's start), ${r.verified ? 'verified' : 'NOT verified'}`
    )
  }
  process.exit(0)
}
