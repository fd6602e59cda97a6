// What /proc says about a server (all its processes) and about the rest of the machine.
import { readFileSync, readdirSync } from 'node:fs'

// USER_HZ: the unit of the CPU times in /proc/stat and /proc/<pid>/stat on Linux.
const TICKS_PER_SECOND = 100

function read(path: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return '' // the process (or thread) is gone
  }
}

/** A process and every descendant: a server's runtime, its worker, any helper they started. */
export function processTree(root: number): number[] {
  const pids = [root]
  for (let i = 0; i < pids.length; i++) {
    let tasks: string[] = []
    try {
      tasks = readdirSync(`/proc/${pids[i]}/task`)
    } catch {
      continue
    }
    for (const task of tasks) {
      for (const child of read(`/proc/${pids[i]}/task/${task}/children`).split(' ')) {
        if (child.trim()) pids.push(Number(child))
      }
    }
  }
  return pids
}

/**
 * Resident memory of the processes in kB, summed as the issue counts it (`rss`), and the part of
 * it that is each process's own (`anon`): RSS also counts the node binary and libraries, pages
 * that the processes of a server share and that a sum counts once per process.
 */
export function memoryKb(pids: number[]): { rss: number; anon: number } {
  let rss = 0
  let anon = 0
  for (const pid of pids) {
    const status = read(`/proc/${pid}/status`)
    rss += Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0)
    anon += Number(/RssAnon:\s+(\d+)/.exec(status)?.[1] ?? 0)
  }
  return { rss, anon }
}

/** CPU seconds (user + system, all threads) the processes have used so far. */
export function cpuSeconds(pids: number[]): number {
  let ticks = 0
  for (const pid of pids) {
    const stat = read(`/proc/${pid}/stat`)
    // Fields after the command name, which may hold spaces, start after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    if (fields.length > 12) ticks += Number(fields[11]) + Number(fields[12])
  }
  return ticks / TICKS_PER_SECOND
}

/** CPU seconds the whole machine has spent busy (everything but idle and I/O wait). */
export function machineBusySeconds(): number {
  const [, ...values] = read('/proc/stat').split('\n')[0].trim().split(/\s+/)
  const [user, nice, system, , , irq, softirq, steal] = values.map(Number)
  return (user + nice + system + irq + softirq + steal) / TICKS_PER_SECOND
}

/**
 * Samples a server's memory every 100 ms and, over the same span, how much CPU the machine spent
 * outside this bench (other engineers' test suites): a run disturbed by them is visible.
 */
export class RunMonitor {
  private peakKb = 0
  private peakAnonKb = 0
  private readonly timer: NodeJS.Timeout
  private readonly busyAtStart = machineBusySeconds()
  private readonly oursAtStart = cpuSeconds(processTree(process.pid))
  private readonly serverAtStart: number
  private readonly startedAt = performance.now()

  constructor(private readonly serverPid: number) {
    this.serverAtStart = cpuSeconds(processTree(serverPid))
    this.sample()
    this.timer = setInterval(() => this.sample(), 100)
  }

  private sample(): void {
    const { rss, anon } = memoryKb(processTree(this.serverPid))
    this.peakKb = Math.max(this.peakKb, rss)
    this.peakAnonKb = Math.max(this.peakAnonKb, anon)
  }

  stop(): { peakRssMb: number; peakAnonMb: number; otherCpu: number; serverCpu: number } {
    clearInterval(this.timer)
    this.sample()
    const seconds = (performance.now() - this.startedAt) / 1000
    const ours = cpuSeconds(processTree(process.pid)) - this.oursAtStart
    const others = machineBusySeconds() - this.busyAtStart - ours
    const server = cpuSeconds(processTree(this.serverPid)) - this.serverAtStart
    return {
      peakRssMb: Math.round(this.peakKb / 102.4) / 10,
      peakAnonMb: Math.round(this.peakAnonKb / 102.4) / 10,
      otherCpu: Math.max(0, Math.round((others / seconds) * 100) / 100),
      serverCpu: Math.round((server / seconds) * 100) / 100,
    }
  }
}
