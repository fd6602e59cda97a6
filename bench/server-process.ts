// Starts a server the way its user would (a node process on port 0 with its data directory), and
// stops it by its pid. Ready means the first 200 from GET /health, counted from the spawn.
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, openSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { nodeFetch, rememberToken } from '../tests/fixtures/tokens.ts'

/** The repository, whether this runs from bench/ (tsx) or built, from dist/bench/ (the tests). */
const above = new URL('..', import.meta.url)
export const ROOT = fileURLToPath(
  existsSync(new URL('package.json', above)) ? above : new URL('..', above)
)

export interface ServerSpec {
  name: 'almacen' | 'monolith' | 'limit'
  label: string
  /** The script, relative to the repository: JavaScript runs as is, TypeScript under tsx. */
  script: string
  args: string[]
}

export const SERVERS: ServerSpec[] = [
  {
    name: 'almacen',
    label: 'almacen (runtime + ZeroMQ worker, knex/sqlite3)',
    // As `npm start` runs it: the built JavaScript (npm run bench builds first).
    script: 'dist/runtime/main.js',
    args: ['--name', 'Bench'],
  },
  {
    name: 'monolith',
    label: 'monolith (Fastify + knex/sqlite3 in-process)',
    script: 'bench/servers/monolith.ts',
    args: [],
  },
  {
    name: 'limit',
    label: 'limit (node:http + better-sqlite3 prepared)',
    script: 'bench/servers/limit.ts',
    args: [],
  },
]

export interface RunningServer {
  spec: ServerSpec
  url: string
  pid: number
  readyMs: number
  logFile: string
  stop(): Promise<void>
}

async function waitForUrl(logFile: string, child: ChildProcess, deadline: number) {
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break
    const match = /listening on (http:\/\/[\d.:]+)/.exec(readFileSync(logFile, 'utf8'))
    if (match) return match[1]
    await sleep(5)
  }
  throw new Error(`did not start; see ${logFile}:\n${readFileSync(logFile, 'utf8').slice(-2000)}`)
}

async function waitForHealth(url: string, deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    const ok = await nodeFetch(`${url}/health`).then(
      (r) => r.status === 200,
      () => false
    )
    if (ok) return
    await sleep(5)
  }
  throw new Error(`${url}/health never answered 200`)
}

export async function startServer(spec: ServerSpec, dataDir: string): Promise<RunningServer> {
  const logFile = path.join(dataDir, `${spec.name}.log`)
  const out = openSync(logFile, 'a')
  const started = performance.now()
  const child = spawn(
    process.execPath,
    [
      ...(spec.script.endsWith('.ts') ? ['--import', 'tsx'] : []),
      spec.script,
      '--port',
      '0',
      '--data-dir',
      dataDir,
      ...spec.args,
    ],
    { cwd: ROOT, stdio: ['ignore', out, out] }
  )
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGTERM')
    const force = setTimeout(() => child.kill('SIGKILL'), 15_000)
    await exited
    clearTimeout(force)
  }
  try {
    const deadline = Date.now() + 60_000
    const url = await waitForUrl(logFile, child, deadline)
    rememberToken(url, dataDir) // almacen's first admin token; the baselines take none
    await waitForHealth(url, deadline)
    const readyMs = Math.round(performance.now() - started)
    return { spec, url, pid: child.pid as number, readyMs, logFile, stop }
  } catch (err) {
    await stop()
    throw new Error(`${spec.name}: ${(err as Error).message}`)
  }
}
