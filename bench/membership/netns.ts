// A host cut off the network: N nodes, each in its own network namespace on one bridge (the
// netlab recipe in ../shared/netlab/), one host's link taken down and brought back. Needs root
// and iproute2. Timings come from the nodes' logs (the lab has no route to this process).
import { execFileSync } from 'node:child_process'
import { Cluster } from './cluster.ts'

const PREFIX = 'almb'
const SUBNET = '10.79.0'
const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] })
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export interface CutResult {
  n: number
  failedByAllMs: number | null
  aliveAgainMs: number | null
  skipped?: string
}

function canRun(): string | null {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces)'
  try {
    execFileSync('ip', ['-V'], { stdio: 'ignore' })
  } catch {
    return 'needs iproute2 (ip)'
  }
  return null
}

function up(n: number): void {
  down(n)
  ip('netns', 'add', `${PREFIX}-net`)
  ip('-n', `${PREFIX}-net`, 'link', 'add', 'br0', 'type', 'bridge')
  ip('-n', `${PREFIX}-net`, 'link', 'set', 'br0', 'up')
  for (let i = 1; i <= n; i++) {
    const host = `${PREFIX}-${i}`
    ip('netns', 'add', host)
    ip(
      '-n',
      host,
      'link',
      'add',
      'eth0',
      'type',
      'veth',
      'peer',
      'name',
      `v-${i}`,
      'netns',
      `${PREFIX}-net`
    )
    ip('-n', `${PREFIX}-net`, 'link', 'set', `v-${i}`, 'master', 'br0', 'up')
    ip('-n', host, 'addr', 'add', `${SUBNET}.${10 + i}/24`, 'dev', 'eth0')
    ip('-n', host, 'link', 'set', 'lo', 'up')
    ip('-n', host, 'link', 'set', 'eth0', 'up')
  }
}

function down(n: number): void {
  for (const ns of [
    `${PREFIX}-net`,
    ...Array.from({ length: n }, (_, i) => `${PREFIX}-${i + 1}`),
  ]) {
    try {
      ip('netns', 'del', ns)
    } catch {
      // not there
    }
  }
}

/** Waits until every other node has logged `name` in `state` after `since`; the latest of those. */
async function logged(
  cluster: Cluster,
  victim: number,
  state: string,
  since: number,
  withinMs: number
) {
  const deadline = Date.now() + withinMs
  while (Date.now() < deadline) {
    const ms = cluster.loggedBy(cluster.others(victim), cluster.nodes[victim].name, state, since)
    if (ms !== null) return ms
    await sleep(100)
  }
  return null
}

export async function cutTest(n = 5): Promise<CutResult> {
  const skipped = canRun()
  if (skipped) return { n, failedByAllMs: null, aliveAgainMs: null, skipped }
  up(n)
  const cluster = new Cluster(n, 8080, {
    prefix: 'h',
    netns: (i) => `${PREFIX}-${i + 1}`,
    hostOf: (i) => `${SUBNET}.${11 + i}`,
  })
  try {
    await cluster.start(0)
    await Promise.all(
      Array.from({ length: n - 1 }, (_, i) => cluster.start(i + 1, [cluster.nodes[0].url]))
    )
    const formed = Date.now()
    for (let i = 0; i < n; i++) {
      if ((await logged(cluster, i, 'alive', formed - 60_000, 15_000)) === null)
        throw new Error('the lab network did not form')
    }
    await sleep(2000)
    const victim = 2
    const cutAt = Date.now()
    ip('-n', `${PREFIX}-net`, 'link', 'set', `v-${victim + 1}`, 'down')
    const failedByAllMs = await logged(cluster, victim, 'failed', cutAt, 30_000)
    await sleep(1000)
    const healedAt = Date.now()
    ip('-n', `${PREFIX}-net`, 'link', 'set', `v-${victim + 1}`, 'up')
    const aliveAgainMs = await logged(cluster, victim, 'alive', healedAt, 30_000)
    return { n, failedByAllMs, aliveAgainMs }
  } finally {
    await cluster.stop()
    down(n)
  }
}
