// The phases of the membership bench, the same as the Serf anchor's (research/membership-anchor.md):
// join storm, kill -9, restart from disk, graceful leave, idle cost; and at N = 20 the extras:
// CPU saturation, a 5 s freeze, repeated storms, leaves and crash-restarts.
import { spawn, type ChildProcess } from 'node:child_process'
import { Cluster, type View } from './cluster.ts'

const BOUND = 30_000
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i)

function allAlive(cluster: Cluster, members: number[]) {
  return (view: View) => members.every((i) => view[cluster.nodes[i].name] === 'alive')
}

export interface SizeRun {
  n: number
  joinPollMs: number | null
  crashPollMs: number | null
  crashLogMs: number | null
  restartPollMs: number | null
  restartSeesAllMs: number | null
  leavePollMs: number | null
  leaveLogMs: number | null
  leaveSeenAsFailed: number
  idleCpuPct: number
  idleCpuMaxPct: number
  /** A node with no peers, idle in the same window: what a node costs without membership. */
  loneCpuPct: number
  rssMb: number
}

/** One run at size n on a fresh cluster: storm, idle, crash, restart from disk, leave. */
export async function sizeRun(n: number, portBase: number, idleMs: number): Promise<SizeRun> {
  const cluster = new Cluster(n, portBase)
  const lone = new Cluster(1, portBase + 150, { prefix: 'lone' })
  try {
    await Promise.all([cluster.startAll(), lone.startAll()])
    const everyone = range(0, n)
    const storm = Date.now()
    await Promise.all(range(1, n).map((i) => cluster.join(i, 0)))
    const joinPollMs = await cluster.until(everyone, allAlive(cluster, everyone), BOUND)
    const joined = joinPollMs === null ? null : Date.now() - storm

    // Idle cost in the steady state: past start-up, the join and its news (Serf's script
    // settles 5 s the same way).
    await sleep(5000)
    const before = everyone.map((i) => cluster.cpuSeconds(i))
    const loneBefore = lone.cpuSeconds(0)
    await sleep(idleMs)
    const pct = everyone.map((i) => ((cluster.cpuSeconds(i) - before[i]) / (idleMs / 1000)) * 100)
    const lonePct = ((lone.cpuSeconds(0) - loneBefore) / (idleMs / 1000)) * 100
    await lone.stop()
    const rssMb = everyone.reduce((sum, i) => sum + cluster.rssMb(i), 0) / n

    const victim = n - 1
    const name = cluster.nodes[victim].name
    const killedAt = Date.now()
    await cluster.signal(victim, 'SIGKILL')
    const survivors = cluster.others(victim)
    const crashPollMs = await cluster.until(survivors, (v) => v[name] === 'failed', BOUND)
    const crashLogMs = cluster.loggedBy(survivors, name, 'failed', killedAt)

    const restartedAt = Date.now()
    await cluster.start(victim) // from its disk alone: no --join
    const restartPollMs = await cluster.until(survivors, (v) => v[name] === 'alive', BOUND)
    const restartPoll = restartPollMs === null ? null : Date.now() - restartedAt
    const restartSeesAllMs = await cluster.until([victim], allAlive(cluster, everyone), BOUND)

    const leaver = n - 2
    const leaving = cluster.nodes[leaver].name
    const leftAt = Date.now()
    const gone = cluster.signal(leaver, 'SIGTERM')
    const watchers = cluster.others(leaver)
    const leavePollMs = await cluster.until(watchers, (v) => v[leaving] === 'left', BOUND)
    await gone
    await sleep(2000) // a late failure report would show in this window
    const leaveLogMs = cluster.loggedBy(watchers, leaving, 'left', leftAt)
    const leaveSeenAsFailed = cluster.countLogged(watchers, leaving, 'failed', leftAt)
    return {
      n,
      joinPollMs: joined,
      crashPollMs,
      crashLogMs,
      restartPollMs: restartPoll,
      restartSeesAllMs: restartSeesAllMs === null ? null : restartSeesAllMs + (restartPoll ?? 0),
      leavePollMs,
      leaveLogMs,
      leaveSeenAsFailed,
      idleCpuPct: pct.reduce((a, b) => a + b, 0) / n,
      idleCpuMaxPct: Math.max(...pct),
      loneCpuPct: lonePct,
      rssMb,
    }
  } finally {
    await Promise.all([cluster.stop(), lone.stop()])
  }
}

export interface Extras {
  n: number
  load: {
    procs: number
    secs: number
    falseSuspects: number
    falseFailures: number
    crashPollMs: number | null
  }
  pause: { secs: number; suspectedBy: number; failedBy: number; aliveAgainMs: number | null }
  storms: (number | null)[]
  leaves: { pollMs: number | null; seenAsFailed: number }[]
  restarts: (number | null)[]
}

function busyLoops(count: number): ChildProcess[] {
  return range(0, count).map(() =>
    spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' })
  )
}

/** The extras at one size: saturation, a freeze, and `trials` storms, leaves and crash-restarts. */
export async function extras(
  n: number,
  portBase: number,
  opts: { loadSecs: number; trials: number }
): Promise<Extras> {
  const cluster = new Cluster(n, portBase)
  const everyone = range(0, n)
  try {
    await cluster.startAll()
    await Promise.all(range(1, n).map((i) => cluster.join(i, 0)))
    await cluster.until(everyone, allAlive(cluster, everyone), BOUND)
    await sleep(2000)

    // CPU oversubscribed 2x: no live node may be failed; a crash mid-window is still seen.
    const procs = busyLoops(4)
    const loadFrom = Date.now()
    await sleep((opts.loadSecs * 1000) / 2)
    const victim = n - 1
    await cluster.signal(victim, 'SIGKILL')
    const crashPollMs = await cluster.until(
      cluster.others(victim),
      (v) => v[cluster.nodes[victim].name] === 'failed',
      BOUND
    )
    await sleep(Math.max(0, loadFrom + opts.loadSecs * 1000 - Date.now()))
    procs.forEach((p) => p.kill('SIGKILL'))
    const live = cluster.others(victim)
    const count = (state: string) =>
      live.reduce(
        (sum, i) =>
          sum +
          cluster.nodes[i].log.filter(
            (l) =>
              l.time >= loadFrom &&
              l.msg === `member ${state}` &&
              l.memberName !== cluster.nodes[victim].name
          ).length,
        0
      )
    const load = {
      procs: procs.length,
      secs: opts.loadSecs,
      falseSuspects: count('suspect'),
      falseFailures: count('failed'),
      crashPollMs,
    }
    await cluster.start(victim)
    await cluster.until(everyone, allAlive(cluster, everyone), BOUND)

    // A node frozen for 5 s is failed by nobody.
    const frozen = 3
    const frozenName = cluster.nodes[frozen].name
    const stopAt = Date.now()
    cluster.nodes[frozen].child?.kill('SIGSTOP')
    await sleep(5000)
    cluster.nodes[frozen].child?.kill('SIGCONT')
    const aliveAgainMs = await cluster.until(everyone, allAlive(cluster, everyone), BOUND)
    await sleep(2000)
    const observers = cluster.others(frozen)
    const pause = {
      secs: 5,
      suspectedBy: cluster.countLogged(observers, frozenName, 'suspect', stopAt),
      failedBy: cluster.countLogged(observers, frozenName, 'failed', stopAt),
      aliveAgainMs,
    }

    const storms: (number | null)[] = []
    const leaves: Extras['leaves'] = []
    const restarts: (number | null)[] = []
    for (let trial = 0; trial < opts.trials; trial++) {
      // Storm: everyone but the seed leaves, then all of them join through it at once.
      await Promise.all(range(1, n).map((i) => cluster.leave(i)))
      const storm = Date.now()
      await Promise.all(range(1, n).map((i) => cluster.join(i, 0)))
      const joined = await cluster.until(everyone, allAlive(cluster, everyone), BOUND)
      storms.push(joined === null ? null : Date.now() - storm)

      // A graceful leave (SIGTERM), then a restart from disk.
      const leaver = 1 + (trial % (n - 1))
      const name = cluster.nodes[leaver].name
      const leftAt = Date.now()
      const gone = cluster.signal(leaver, 'SIGTERM')
      const pollMs = await cluster.until(cluster.others(leaver), (v) => v[name] === 'left', BOUND)
      await gone
      await sleep(1500)
      leaves.push({
        pollMs,
        seenAsFailed: cluster.countLogged(cluster.others(leaver), name, 'failed', leftAt),
      })
      await cluster.start(leaver)
      await cluster.until(everyone, allAlive(cluster, everyone), BOUND)

      // A crash, then a restart from disk alone: how long until every member sees it alive.
      const crashed = n - 1 - (trial % (n - 1))
      await cluster.signal(crashed, 'SIGKILL')
      await cluster.until(
        cluster.others(crashed),
        (v) => v[cluster.nodes[crashed].name] === 'failed',
        BOUND
      )
      const restartedAt = Date.now()
      await cluster.start(crashed)
      const back = await cluster.until(
        cluster.others(crashed),
        (v) => v[cluster.nodes[crashed].name] === 'alive',
        BOUND
      )
      restarts.push(back === null ? null : Date.now() - restartedAt)
      await cluster.until(everyone, allAlive(cluster, everyone), BOUND)
    }
    return { n, load, pause, storms, leaves, restarts }
  } finally {
    await cluster.stop()
  }
}
