// Which worker runs on a data directory, so that a restarted node never opens the database beside
// the worker of a runtime that was killed (it lives until it notices, a batch later at most).
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import type { Logger } from 'pino'
import { alive } from '../lib/processes.ts'

/** In the data directory: the pid of the worker that runs on it. */
export const WORKER_PID_FILE = 'almacen-worker.pid'

export function recordWorker(dataDir: string, pid: number | undefined): void {
  if (pid !== undefined) writeFileSync(path.join(dataDir, WORKER_PID_FILE), String(pid))
}

export function forgetWorker(dataDir: string): void {
  rmSync(path.join(dataDir, WORKER_PID_FILE), { force: true })
}

/**
 * True when `pid` runs `script` on `dataDir`. A worker's command line names both (they are its
 * arguments), so a pid reused by another program, or by another node's worker, is not mistaken.
 */
function isWorkerOn(pid: number, script: string, dataDir: string): boolean {
  if (!alive(pid)) return false
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')
    return argv.includes(script) && argv.includes(dataDir)
  } catch {
    return false // gone meanwhile, or no /proc
  }
}

/** Resolves once no earlier worker runs on `dataDir`; throws after `timeoutMs` of waiting. */
export async function previousWorkerGone(
  dataDir: string,
  script: string,
  log: Logger,
  timeoutMs: number
): Promise<void> {
  let pid: number
  try {
    pid = Number(readFileSync(path.join(dataDir, WORKER_PID_FILE), 'utf8'))
  } catch {
    return // no worker ran here yet, or the last one stopped cleanly
  }
  if (!isWorkerOn(pid, script, dataDir)) return
  log.warn({ workerPid: pid }, "the last run's database worker still runs: waiting for it to exit")
  const deadline = Date.now() + timeoutMs
  while (isWorkerOn(pid, script, dataDir)) {
    if (Date.now() > deadline) {
      throw new Error(
        `The database worker of a previous run (process ${pid}) still runs on ${dataDir}; stop it, then start the node again`
      )
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}
