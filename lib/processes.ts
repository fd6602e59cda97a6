// Whether a process runs, and since when: the node's data directory lock (runtime/data-dir-lock.ts)
// and the client, which sends the local node's admin token only to the node that wrote where it
// listens (client/token.ts), ask the same way.
import { readFileSync } from 'node:fs'

/** True when a process with this pid runs (a zombie does not count). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
  // A killed process nobody has reaped yet (a zombie) still answers kill(0), but holds nothing.
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return true // no /proc: trust kill(0)
  }
}

/**
 * When a process started, in clock ticks since the boot (field 22 of /proc/PID/stat): unlike
 * startedAt, not moved by a step of the wall clock. Undefined without /proc.
 */
export function startTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The fields after the command's ")" start at field 3.
    const ticks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19])
    return Number.isFinite(ticks) ? ticks : undefined
  } catch {
    return undefined
  }
}

/** When a process started, in ms since the epoch (to 10 ms); undefined without /proc. */
export function startedAt(pid: number): number | undefined {
  const ticks = startTicks(pid)
  if (ticks === undefined) return undefined
  try {
    // Ticks are USER_HZ, 100 on Linux; btime is the boot in seconds since the epoch.
    const boot = Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1])
    return Number.isFinite(boot) ? boot * 1000 + ticks * 10 : undefined
  } catch {
    return undefined
  }
}
