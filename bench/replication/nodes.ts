// Real almacen nodes for the replication part: the built node as `npm start` runs it (npm run
// bench builds first), each on its own data directory and port 0, one cluster key, on loopback,
// each in a process group of its own. Frozen, thawed and stopped by the pids this bench spawned.
import type { ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { startProcess } from '../../tests/fixtures/node-process.ts'
import { nodeFetch } from '../../tests/fixtures/tokens.ts'

const KEY = 'bench-replication-cluster-key-not-a-secret'

export interface BenchNode {
  name: string
  url: string
  dataDir: string
  child: ChildProcess
  /** The node's id, as GET /node says it. */
  id: string
}

/** A set of nodes under one temporary folder; `stop` ends every one of them and removes it. */
export class Nodes {
  readonly list: BenchNode[] = []
  readonly root = mkdtempSync(path.join(tmpdir(), 'almacen-bench-replication-'))
  private readonly stops: (() => unknown)[] = []

  /** A data directory for `name`, made now (to be seeded before the node starts). */
  dirOf(name: string): string {
    const dir = path.join(this.root, name)
    mkdirSync(dir, { recursive: true })
    return dir
  }

  /** Starts a node and waits until it listens and says who it is. */
  async start(name: string, join: string[] = [], extra: string[] = []) {
    const dataDir = this.dirOf(name)
    const args = ['--port', '0', '--host', '127.0.0.1', '--data-dir', dataDir, '--name', name]
    if (join.length) args.push('--join', join.join(','))
    args.push(...extra)
    const teardown = (fn: () => unknown) => this.stops.push(fn)
    const started = await startProcess(
      { teardown },
      args,
      { ALMACEN_CLUSTER_KEY: KEY },
      {
        built: true,
        detached: true,
      }
    )
    const { id } = await getJson<{ id: string }>(`${started.url}/node`)
    const node: BenchNode = { name, url: started.url, dataDir, child: started.child, id }
    this.list.push(node)
    return node
  }

  /** Sends a signal to a node's runtime (SIGSTOP freezes it: it no longer answers anyone). */
  signal(node: BenchNode, signal: NodeJS.Signals): void {
    if (node.child.exitCode === null && node.child.signalCode === null) node.child.kill(signal)
  }

  /** Kills every node's process group (runtime and worker; nothing of theirs is kept). */
  async stop(): Promise<void> {
    for (const stop of this.stops.splice(0)) await stop()
    rmSync(this.root, { recursive: true, force: true })
  }
}

/** GET `path` on a node as JSON (throws on a non-2xx answer). */
export async function getJson<T>(url: string, timeoutMs = 10_000): Promise<T> {
  const response = await nodeFetch(url, { signal: AbortSignal.timeout(timeoutMs) })
  if (!response.ok) throw new Error(`GET ${url} answered ${response.status}`)
  return (await response.json()) as T
}

interface ReplicaView {
  state: string
  cursor: { events: number; ledger: { seq: number; hash: string } }
}

/** How far `holder` holds `owner`'s ledger (0 before it has a replica of it). */
export async function replicaSeq(holder: BenchNode, owner: BenchNode): Promise<number> {
  const response = await nodeFetch(`${holder.url}/replicas/${owner.id}`, {
    signal: AbortSignal.timeout(10_000),
  })
  if (response.status === 404) return 0
  if (!response.ok) throw new Error(`GET /replicas/${owner.id} answered ${response.status}`)
  return ((await response.json()) as ReplicaView).cursor.ledger.seq
}

/**
 * Waits (bounded) until `check` holds, trying every `everyMs`. A check that does not answer (a
 * frozen node's fetch) counts as false after 10 s: the wait ends within `withinMs`, `everyMs` and
 * 20 s.
 */
export async function until(
  check: () => Promise<boolean>,
  withinMs: number,
  what: string,
  everyMs = 50
) {
  const deadline = Date.now() + withinMs
  const holds = async () => {
    let timer: NodeJS.Timeout | undefined
    const late = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), 10_000)
    })
    try {
      return await Promise.race([check().catch(() => false), late])
    } finally {
      clearTimeout(timer)
    }
  }
  while (Date.now() < deadline) {
    if (await holds()) return
    await new Promise((resolve) => setTimeout(resolve, everyMs))
  }
  // Once more after the last wait: what held during it counts.
  if (await holds()) return
  throw new Error(`${what}: not within ${withinMs} ms`)
}
