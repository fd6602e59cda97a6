import { fork, type ChildProcess } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Logger } from 'pino'
import type { StartMessage, WorkerSettings } from '../db/settings.ts'
import { FAILPOINT_ENV } from '../lib/failpoint.ts'
import { forgetWorker, previousWorkerGone, recordWorker } from './worker-pid.ts'

// A built node (dist/*.js) runs its worker as JavaScript; under tsx, the worker needs tsx too.
const BUILT = import.meta.url.endsWith('.js')
export const WORKER_SCRIPT = fileURLToPath(
  new URL(`../db/worker.${BUILT ? 'js' : 'ts'}`, import.meta.url)
)

/**
 * The worker's node flags: tsx under TypeScript, and any extra ones for the worker only, e.g.
 * `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile it (ALMACEN_WORKER_NODE_OPTIONS): Node refuses
 * --cpu-prof in NODE_OPTIONS, and the worker is started by the runtime, not by you.
 */
export function workerExecArgv(extra: string[]): string[] {
  return BUILT ? extra : [`--import=${import.meta.resolve('tsx')}`, ...extra]
}

/**
 * glibc's malloc arenas for the worker, unless its environment names a number. SQLite runs on
 * libuv's four threads, and by default each thread that allocates gets an arena of its own, whose
 * freed pages stay in the process: with two, a node's worker measured 85–88 MiB once quiet after
 * receipts and reads at 50 connections, against 108–182 MiB (scratch, two runs each way;
 * throughput unchanged). Its statements run one at a time, so the threads hardly contend for them.
 */
export const WORKER_MALLOC_ARENAS = '2'

/**
 * The worker's environment: the runtime's without the node's settings. It is sent those it needs
 * (db/settings.ts), and the cluster key is none of its business. ALMACEN_FAILPOINT stays: the
 * worker's failpoints (lib/failpoint.ts) are where crash tests kill it. MALLOC_ARENA_MAX is set
 * (WORKER_MALLOC_ARENAS) where the runtime's environment does not set it.
 */
function workerEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return {
    MALLOC_ARENA_MAX: WORKER_MALLOC_ARENAS,
    ...Object.fromEntries(
      Object.entries(env).filter(([name]) => !name.startsWith('ALMACEN_') || name === FAILPOINT_ENV)
    ),
  }
}

export interface WorkerReady {
  id: string
  name: string
  pid: number
}

export interface SupervisorOptions {
  /** Handed to every worker started, as its first message. */
  settings: WorkerSettings
  /** Node flags for the worker's process alone. */
  nodeOptions?: string[]
  log: Logger
  /** The worker is listening: connect to it. */
  onReady(ready: WorkerReady): void
  /** The worker is gone: fail what waits on it. */
  onDown(reason: string): void
  /** How long a start may take (migrations included) before it counts as failed. */
  startTimeoutMs?: number
  /** How long a start waits for a previous run's worker to exit (see previousWorkerGone). */
  previousWorkerTimeoutMs?: number
}

type WorkerMessage =
  { type: 'ready'; id: string; name: string; pid: number } | { type: 'fatal'; message: string }

/**
 * Starts the database worker as a child process and keeps it running: when it dies, everything
 * waiting on it is failed at once and a new one is started, sooner after a long healthy run.
 */
export class WorkerSupervisor {
  private child: ChildProcess | null = null
  private stopping = false
  private failures = 0
  private restartTimer: NodeJS.Timeout | null = null
  private restarted = 0

  constructor(private readonly options: SupervisorOptions) {}

  get pid(): number | undefined {
    return this.child?.pid
  }

  /** Times a worker died and another was started in its place. */
  get restarts(): number {
    return this.restarted
  }

  /** Starts the first worker; rejects with its reason if it dies or stalls before it is ready. */
  async start(): Promise<WorkerReady> {
    const { log, previousWorkerTimeoutMs = 20_000 } = this.options
    await previousWorkerGone(this.dataDir, WORKER_SCRIPT, log, previousWorkerTimeoutMs)
    return new Promise((resolve, reject) => this.spawn(resolve, reject))
  }

  /** The data directory as the worker's command line names it. */
  private get dataDir(): string {
    return path.resolve(this.options.settings.dataDir)
  }

  private spawn(resolve?: (ready: WorkerReady) => void, reject?: (err: Error) => void): void {
    const { options } = this
    const startedAt = Date.now()
    let fatal = ''
    let ready = false
    const startTimeoutMs = options.startTimeoutMs ?? 30_000
    // The data directory as an argument: `ps` tells whose worker it is, and so does the next run.
    const child = fork(WORKER_SCRIPT, [this.dataDir], {
      execArgv: workerExecArgv(options.nodeOptions ?? []),
      env: workerEnv(process.env),
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    child.send({ type: 'start', settings: options.settings } satisfies StartMessage)
    this.child = child
    recordWorker(this.dataDir, child.pid)
    const stall = setTimeout(() => {
      fatal = `not ready after ${startTimeoutMs} ms`
      child.kill('SIGKILL')
    }, startTimeoutMs)

    child.on('message', (message: WorkerMessage) => {
      if (message.type === 'fatal') fatal = message.message
      if (message.type !== 'ready') return
      clearTimeout(stall)
      ready = true
      options.log.info({ workerPid: message.pid }, 'database worker ready')
      options.onReady(message)
      resolve?.(message)
    })
    const onWorkerExit = (code: number | null, signal: NodeJS.Signals | null) => {
      clearTimeout(stall)
      if (!ready && reject) {
        if (this.child === child) this.child = null
        // `signal`: the worker was killed (by a Ctrl-C that reached its process group, say).
        const why = fatal || `exit ${code ?? signal}`
        reject(Object.assign(new Error(`The database worker failed to start: ${why}`), { signal }))
        return
      }
      this.onExit(child, code, signal, Date.now() - startedAt)
    }
    child.on('exit', onWorkerExit)
    // A message the worker could not take (it died at once: Ctrl-C in a terminal reaches the whole
    // process group), or a worker that could not be started at all: said, never thrown, which
    // would take the runtime down. A worker that ran ends with its exit, handled as any.
    child.on('error', (err) => {
      fatal ||= err.message
      options.log.warn({ err: err.message }, 'the database worker could not be reached')
      if (child.pid === undefined) onWorkerExit(null, null)
    })
  }

  private onExit(
    child: ChildProcess,
    code: number | null,
    signal: string | null,
    ranMs: number
  ): void {
    if (this.child === child) this.child = null
    const reason = `worker exited with ${signal ?? `code ${code}`}`
    this.options.onDown(reason)
    if (this.stopping) return
    this.failures = ranMs > 30_000 ? 0 : this.failures + 1
    const delay = Math.min(50 * 2 ** this.failures, 5_000)
    this.options.log.error({ code, signal, restartInMs: delay }, 'database worker died; restarting')
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null
      if (this.stopping) return
      this.restarted++
      this.spawn()
    }, delay)
  }

  /** Stops the worker: it finishes the batch in hand, commits, and exits. */
  async stop(timeoutMs = 10_000): Promise<void> {
    this.stopping = true
    if (this.restartTimer) clearTimeout(this.restartTimer)
    const child = this.child
    if (!child || child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
    try {
      child.send({ type: 'stop' }) // the worker ignores signals; it stops when asked
    } catch {
      child.kill('SIGKILL') // its channel is already gone
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    await exited
    clearTimeout(timer)
    forgetWorker(this.dataDir)
  }
}
