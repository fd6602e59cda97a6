// What checking an API token costs a read, in one run: the token stage's CPU per request (the
// node's own stages, in this process: one route declared `viewer`, the same declared `public`,
// many requests each), against the CPU a read of stock costs a real node (runtime and worker
// process together) at 50 connections. The target: the check is at most 5 % of a read.
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { pino } from 'pino'
import { databaseFile } from '../db/knex-config.ts'
import type { Handler } from '../runtime/context.ts'
import type { DbClient } from '../runtime/db-client.ts'
import { createApp, type LoadedRoute } from '../runtime/router.ts'
import { TokenHolders, newToken } from '../runtime/tokens.ts'
import type { BenchOptions } from './options.ts'
import { runLoad } from './load.ts'
import { seedDatabase } from './seed.ts'
import { startServer } from './server-process.ts'
import { median } from './summary.ts'
import { ALMACEN } from './verify-under-load.ts'

type Say = (line: string) => void

export const TOKEN_SHARE_GOAL = 0.05
const CONNECTIONS = 50
const REQUESTS = 50_000

export interface TokenCost {
  /** CPU µs per request through the stages, for a `public` and a `viewer` route. */
  publicUs: number
  viewerUs: number
  /** CPU µs a read of stock costs the node (runtime + worker) at 50 connections. */
  readUs: number
  readsPerSecond: number
  share: number
  met: boolean
}

/** CPU µs per request through createApp's stages for a route of this access, the median of runs. */
async function stagesCost(access: 'public' | 'viewer', runs: number): Promise<number> {
  const made = newToken()
  const holder = {
    tokenId: made.id,
    user: 'bench',
    role: 'viewer' as const,
    expiresAt: null,
    revokedAt: null,
    disabledAt: null,
  }
  const handler = Object.assign((() => ({ sku: 'SKU-000001', onHand: 1 })) as Handler, { access })
  const route: LoadedRoute = {
    method: 'get',
    path: '/stock/:sku',
    file: 'stock/[sku].get.ts',
    absolute: '',
    handler,
    access,
  }
  const app = createApp([route], {
    db: {} as DbClient, // the route never asks it; the token's holder is answered below
    log: pino({ level: 'silent' }),
    node: { id: 'n1', name: 'Bench', version: '0', startedAt: new Date().toISOString() },
    membership: {} as never,
    events: {} as never,
    holders: new TokenHolders(async () => holder),
  })
  const headers = { authorization: `Bearer ${made.token}` }
  const one = () => app(new Request('http://127.0.0.1:8080/stock/SKU-000001', { headers }))
  const first = await one()
  if (first.status !== 200) throw new Error(`the ${access} route answered ${first.status}`)
  const perRun: number[] = []
  for (let run = 0; run < runs; run++) {
    const before = process.cpuUsage()
    for (let i = 0; i < REQUESTS; i++) await one()
    const used = process.cpuUsage(before)
    perRun.push((used.user + used.system) / REQUESTS)
  }
  return median(perRun)
}

/** utime + stime of a process, in µs (Linux /proc). */
async function cpuOf(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / 100 // clock ticks of 1/100 s
}

export async function runTokenCost(options: BenchOptions, say: Say): Promise<TokenCost> {
  const runs = Math.max(3, options.runs)
  // Alternated, so that the machine's noise falls on both alike.
  const publicRuns: number[] = []
  const viewerRuns: number[] = []
  for (let i = 0; i < runs; i++) {
    publicRuns.push(await stagesCost('public', 1))
    viewerRuns.push(await stagesCost('viewer', 1))
  }
  const publicUs = median(publicRuns)
  const viewerUs = median(viewerRuns)
  say(
    `stages, ${REQUESTS} requests × ${runs}: public ${publicUs.toFixed(1)} µs, viewer ${viewerUs.toFixed(1)} µs CPU each`
  )

  const root = await mkdtemp(path.join(tmpdir(), 'almacen-bench-tokens-'))
  const dir = path.join(root, 'almacen')
  await mkdir(dir)
  await seedDatabase(databaseFile(dir), { items: options.items, movements: 0 })
  const server = await startServer(ALMACEN, dir)
  try {
    const worker = Number((await readFile(path.join(dir, 'almacen-worker.pid'), 'utf8')).trim())
    const load = (runId: string, duration: number) =>
      runLoad({
        url: server.url,
        kase: 'read',
        connections: CONNECTIONS,
        duration,
        items: options.items,
        runId,
      })
    await load('tokens-warm', options.warmup)
    const perRead: number[] = []
    const rates: number[] = []
    for (let run = 1; run <= options.runs; run++) {
      const before = (await cpuOf(server.pid)) + (await cpuOf(worker))
      const result = await load(`tokens-${run}`, Math.max(2, options.duration))
      const used = (await cpuOf(server.pid)) + (await cpuOf(worker)) - before
      perRead.push(used / result.responses)
      rates.push(result.rps)
    }
    const readUs = median(perRead)
    const share = (viewerUs - publicUs) / readUs
    say(
      `reads at ${CONNECTIONS} connections: ${readUs.toFixed(0)} µs CPU each (runtime + worker), ${Math.round(median(rates))}/s`
    )
    return {
      publicUs,
      viewerUs,
      readUs,
      readsPerSecond: Math.round(median(rates)),
      share,
      met: share <= TOKEN_SHARE_GOAL,
    }
  } finally {
    await server.stop()
    await rm(root, { recursive: true, force: true })
  }
}

export function formatTokenCost(r: TokenCost): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)} %`
  return [
    '| what | CPU per request |',
    '| --- | --- |',
    `| the stages, a public route | ${r.publicUs.toFixed(1)} µs |`,
    `| the stages, a viewer route (token checked, its holder remembered) | ${r.viewerUs.toFixed(1)} µs |`,
    `| a read of stock at ${CONNECTIONS} connections, runtime + worker (${r.readsPerSecond}/s) | ${r.readUs.toFixed(0)} µs |`,
    `| **the check's share of a read** (target ≤ ${pct(TOKEN_SHARE_GOAL)}) | **${pct(r.share)}** ${r.met ? 'met' : 'NOT met'} |`,
  ].join('\n')
}
