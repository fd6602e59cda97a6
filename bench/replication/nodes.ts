// Real almacen nodes for the replication part: the built node as `npm start` runs it, each on its
// own data directory and port 0, one cluster key, on loopback. Started, frozen, thawed and
// stopped by the pids this bench spawned, never by name.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { ROOT } from '../server-process.ts'

const MAIN = path.join(ROOT, 'dist/runtime/main.js')
const KEY = 'bench-replication-cluster-key-not-a-secret'

export interface BenchNode {
  name: string
  url: string
  dataDir: string
  child: ChildProcess
  /** The node's id, as GET /node says it. */
  id: string
  workerPid?: number
}

/** A set of nodes under one temporary folder; `stop` ends every one of them and removes it. */
export class Nodes {
  readonly list: BenchNode[] = []
  readonly root = mkdtempSync(path.join(tmpdir(), 'almacen-bench-replication-'))

  /** A data directory for `name`, made now (to be seeded before the node starts). */
  dirOf(name: string): string {
    const dir = path.join(this.root, name)
    mkdirSync(dir, { recursive: true })
    return dir
  }

  /** Starts a node and waits until it listens and says who it is. */
  async start(name: string, join: string[] = [], env: Record<string, string> = {}) {
    const dataDir = this.dirOf(name)
    const args = [MAIN, '--port', '0', '--host', '127.0.0.1', '--data-dir', dataDir]
    args.push('--name', name, ...(join.length ? ['--join', join.join(',')] : []))
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, ALMACEN_CLUSTER_KEY: KEY, ALMACEN_LOG_LEVEL: 'info', ...env },
    })
    let workerPid: number | undefined
    const url = await new Promise<string>((resolve, reject) => {
      let buffered = ''
      child.stdout?.on('data', (chunk: Buffer) => {
        buffered += chunk
        let newline
        while ((newline = buffered.indexOf('\n')) >= 0) {
          const line = JSON.parse(buffered.slice(0, newline))
          buffered = buffered.slice(newline + 1)
          if (typeof line.workerPid === 'number') workerPid = line.workerPid
          if (typeof line.url === 'string' && /listening/.test(line.msg)) resolve(line.url)
        }
      })
      child.once('exit', (code) =>
        reject(new Error(`${name} exited with ${code} before listening`))
      )
    })
    const { id } = (await (await fetch(`${url}/node`)).json()) as { id: string }
    const node: BenchNode = { name, url, dataDir, child, id, workerPid }
    this.list.push(node)
    return node
  }

  /** Sends a signal to a node's runtime (SIGSTOP freezes it: it no longer answers anyone). */
  signal(node: BenchNode, signal: NodeJS.Signals): void {
    if (node.child.exitCode === null && node.child.signalCode === null) node.child.kill(signal)
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.list.map(async (node) => {
        const { child } = node
        if (child.exitCode !== null || child.signalCode !== null) return
        const gone = new Promise((resolve) => child.once('exit', resolve))
        child.kill('SIGCONT') // a frozen node cannot act on SIGTERM
        child.kill('SIGTERM')
        const force = setTimeout(() => child.kill('SIGKILL'), 10_000)
        await gone
        clearTimeout(force)
      })
    )
    rmSync(this.root, { recursive: true, force: true })
  }
}

/** GET `path` on a node as JSON (throws on a non-2xx answer). */
export async function getJson<T>(url: string, timeoutMs = 10_000): Promise<T> {
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) })
  if (!response.ok) throw new Error(`GET ${url} answered ${response.status}`)
  return (await response.json()) as T
}

interface ReplicaView {
  state: string
  cursor: { events: number; ledger: { seq: number; hash: string } }
}

/** How far `holder` holds `owner`'s ledger (0 before it has a replica of it). */
export async function replicaSeq(holder: BenchNode, owner: BenchNode): Promise<number> {
  const response = await fetch(`${holder.url}/replicas/${owner.id}`)
  if (response.status === 404) return 0
  if (!response.ok) throw new Error(`GET /replicas/${owner.id} answered ${response.status}`)
  return ((await response.json()) as ReplicaView).cursor.ledger.seq
}

/** Waits (bounded) until `check` holds, trying every 50 ms. */
export async function until(check: () => Promise<boolean>, withinMs: number, what: string) {
  const deadline = Date.now() + withinMs
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`${what}: not within ${withinMs} ms`)
}
