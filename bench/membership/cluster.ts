// N real almacen nodes on loopback, started as a user starts them, watched through their API
// (what a client sees) and their logs (when each node decided, to the millisecond).
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { cpuSeconds, memoryKb } from '../proc.ts'
import { ROOT } from '../server-process.ts'
import { nodeFetch, rememberToken } from '../../tests/fixtures/tokens.ts'

// As `npm start` runs a node: the built JavaScript (npm run bench builds first).
const MAIN = path.join(ROOT, 'dist/runtime/main.js')
const KEY = 'bench-cluster-key-not-a-secret'

export interface LogLine {
  time: number
  msg: string
  /** The member a membership line is about (network/membership logs it as memberName). */
  memberName?: string
  state?: string
  incarnation?: number
  workerPid?: number
}

export interface ClusterNode {
  index: number
  name: string
  port: number
  url: string
  dataDir: string
  child: ChildProcess | null
  workerPid?: number
  log: LogLine[]
}

export type View = Record<string, string> // member name → state

export interface ClusterOptions {
  /** Run node i inside this network namespace (netlab hosts), bound to hostOf(i). */
  netns?: (i: number) => string
  hostOf?: (i: number) => string
  prefix?: string
}

export class Cluster {
  readonly nodes: ClusterNode[] = []
  private readonly root = mkdtempSync(path.join(tmpdir(), 'almacen-members-'))

  constructor(
    readonly size: number,
    portBase: number,
    private readonly options: ClusterOptions = {}
  ) {
    for (let i = 0; i < size; i++) {
      const name = `${options.prefix ?? 'n'}${String(i + 1).padStart(2, '0')}`
      const port = options.netns ? portBase : portBase + i
      const host = options.hostOf?.(i) ?? '127.0.0.1'
      const dataDir = path.join(this.root, name)
      this.nodes.push({
        index: i,
        name,
        port,
        url: `http://${host}:${port}`,
        dataDir,
        child: null,
        log: [],
      })
    }
  }

  /** Starts node i (from its disk, if it has run before) and waits until it listens. */
  start(i: number, join: string[] = []): Promise<ClusterNode> {
    const node = this.nodes[i]
    const host = new URL(node.url).hostname
    const args = [
      MAIN,
      '--host',
      host,
      '--port',
      String(node.port),
      '--data-dir',
      node.dataDir,
      '--name',
      node.name,
    ]
    if (join.length > 0) args.push('--join', join.join(','))
    const ns = this.options.netns?.(i)
    // `ip netns exec` enters the namespace and execs node in place: the pid is the node's.
    const [command, argv] = ns
      ? ['ip', ['netns', 'exec', ns, process.execPath, ...args]]
      : [process.execPath, args]
    const child = spawn(command, argv, {
      stdio: ['ignore', 'pipe', 'ignore'],
      env: {
        ...process.env,
        ALMACEN_CLUSTER_KEY: KEY,
        ALMACEN_LOG_LEVEL: 'info',
        // In the netns lab each node is bound to its own lab address: plain HTTP on purpose.
        ALMACEN_INSECURE_HTTP: '1',
      },
    })
    node.child = child
    return new Promise((resolve, reject) => {
      let buffered = ''
      child.stdout?.on('data', (chunk: Buffer) => {
        buffered += chunk
        let newline
        while ((newline = buffered.indexOf('\n')) >= 0) {
          const raw = JSON.parse(buffered.slice(0, newline))
          buffered = buffered.slice(newline + 1)
          const line: LogLine = { ...raw, time: Date.parse(raw.time) }
          node.log.push(line)
          if (line.workerPid) node.workerPid = line.workerPid
          if (/listening/.test(line.msg)) {
            rememberToken(node.url, node.dataDir)
            resolve(node)
          }
        }
      })
      child.once('exit', (code) =>
        reject(new Error(`${node.name} exited with ${code} before listening`))
      )
    })
  }

  async startAll(): Promise<void> {
    await Promise.all(this.nodes.map((_, i) => this.start(i)))
  }

  /** Sends a signal; for SIGKILL and SIGTERM waits until the process is gone. */
  async signal(i: number, signal: NodeJS.Signals): Promise<void> {
    const child = this.nodes[i].child
    if (!child || child.exitCode !== null || child.signalCode !== null) return
    const gone = new Promise((resolve) => child.once('exit', resolve))
    child.kill(signal)
    if (signal === 'SIGKILL' || signal === 'SIGTERM') await gone
  }

  async view(i: number): Promise<View | null> {
    try {
      const response = await nodeFetch(`${this.nodes[i].url}/members`, {
        signal: AbortSignal.timeout(2000),
      })
      const body = (await response.json()) as { members: { name: string; state: string }[] }
      return Object.fromEntries(body.members.map((m) => [m.name, m.state]))
    } catch {
      return null
    }
  }

  /**
   * Polls the observers' views every 100 ms (as a client would) until `holds` is true of every
   * one; resolves with the ms it took, or null past the deadline.
   */
  async until(
    observers: number[],
    holds: (view: View) => boolean,
    withinMs: number
  ): Promise<number | null> {
    const started = Date.now()
    const pending = new Set(observers)
    while (Date.now() - started < withinMs) {
      for (const i of [...pending]) {
        const view = await this.view(i)
        if (view && holds(view)) pending.delete(i)
      }
      if (pending.size === 0) return Date.now() - started
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    return null
  }

  /** The latest time, over the observers' logs, at which each logged `name` in `state` after `since`. */
  loggedBy(observers: number[], name: string, state: string, since: number): number | null {
    let latest = 0
    for (const i of observers) {
      const line = this.nodes[i].log.find(
        (l) =>
          l.time >= since &&
          l.memberName === name &&
          l.state === state &&
          l.msg === `member ${state}`
      )
      if (!line) return null
      latest = Math.max(latest, line.time)
    }
    return latest - since
  }

  /** How many observers logged `name` in `state` after `since` (false alarms, for instance). */
  countLogged(observers: number[], name: string, state: string, since: number): number {
    return observers.filter((i) =>
      this.nodes[i].log.some(
        (l) => l.time >= since && l.memberName === name && l.msg === `member ${state}`
      )
    ).length
  }

  /** The processes of node i: its runtime and, once it has logged it, its worker. */
  private pids(i: number): number[] {
    const node = this.nodes[i]
    return [node.child?.pid, node.workerPid].filter((pid): pid is number => pid !== undefined)
  }

  /** CPU seconds used so far by every process of node i (runtime and worker). */
  cpuSeconds(i: number): number {
    return cpuSeconds(this.pids(i))
  }

  rssMb(i: number): number {
    return memoryKb(this.pids(i)).rss / 1024
  }

  running(i: number): boolean {
    const child = this.nodes[i].child
    return !!child && child.exitCode === null && child.signalCode === null
  }

  /** The running nodes other than i. */
  others(i: number): number[] {
    return this.nodes.map((n) => n.index).filter((j) => j !== i && this.running(j))
  }

  /** Asks node i to join through node `via`, as an operator would (POST /members/join). */
  async join(i: number, via: number): Promise<boolean> {
    const response = await nodeFetch(`${this.nodes[i].url}/members/join`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ addresses: [this.nodes[via].url] }),
    })
    return response.ok
  }

  async leave(i: number): Promise<boolean> {
    const response = await nodeFetch(`${this.nodes[i].url}/members/leave`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
    })
    return response.ok
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((_, i) => this.signal(i, 'SIGKILL')))
    rmSync(this.root, { recursive: true, force: true })
  }
}
