// One whole benchmark: seed once, start every server on its own copy, then for each case and
// connection count run them in turn (rotating who goes first, so drift in the machine's load
// spreads over all of them), and audit the ledgers after each write case.
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { databaseFile } from '../db/knex-config.ts'
import { auditWrites, checkLedger, countRows, type RowCounts } from './check.ts'
import { WRITE_CASES, type CaseName } from './load.ts'
import { Measurer, type RunRecord } from './measure.ts'
import type { BenchOptions } from './options.ts'
import { seedDatabase } from './seed.ts'
import { startServer, type RunningServer } from './server-process.ts'

export interface Measurement {
  kase: CaseName
  connections: number
  server: string
  runs: RunRecord[]
}

export interface WriteCheck {
  kase: CaseName
  server: string
  ok: boolean
  problems: string[]
  acknowledged: number
  movements: number
  viaApi?: boolean
}

export interface ServerSummary {
  name: string
  label: string
  readyMs: number
  peakRssMb: number
  peakAnonMb: number
}

export interface SuiteResult {
  measurements: Measurement[]
  checks: WriteCheck[]
  servers: ServerSummary[]
}

type Say = (line: string) => void

export async function runSuite(options: BenchOptions, say: Say): Promise<SuiteResult> {
  const root = await mkdtemp(path.join(tmpdir(), 'almacen-bench-'))
  const template = path.join(root, 'template')
  await mkdir(template)
  const seeded = performance.now()
  await seedDatabase(databaseFile(template), options)
  say(
    `seeded ${options.items} items, ${options.movements} movements in ${Math.round(performance.now() - seeded)} ms (${root})`
  )

  const running: RunningServer[] = []
  const summaries = new Map<string, ServerSummary>()
  const dirs = new Map<string, string>()
  const measurements: Measurement[] = []
  const checks: WriteCheck[] = []
  const bench = new Measurer(options, say)
  try {
    for (const spec of options.servers) {
      const dir = path.join(root, spec.name)
      await mkdir(dir)
      await copyFile(databaseFile(template), databaseFile(dir))
      const server = await startServer(spec, dir)
      running.push(server)
      dirs.set(spec.name, dir)
      summaries.set(spec.name, {
        name: spec.name,
        label: spec.label,
        readyMs: server.readyMs,
        peakRssMb: 0,
        peakAnonMb: 0,
      })
      say(`${spec.name}: ready in ${server.readyMs} ms at ${server.url} (pid ${server.pid})`)
    }

    for (const kase of options.cases) {
      const writes = WRITE_CASES.has(kase)
      const before = new Map<string, RowCounts>()
      bench.resetTally()
      for (const s of writes ? running : [])
        before.set(s.spec.name, await countRows(dirs.get(s.spec.name) as string))

      for (const connections of options.connections) {
        for (const server of running) await bench.warmUp(server, kase, connections)
        const runs = new Map(running.map((s) => [s.spec.name, [] as RunRecord[]]))
        for (let run = 0; run < options.runs; run++) {
          // Rotate who goes first, so a change in the machine's load spreads over every server.
          const order = running.map((_, i) => running[(i + run) % running.length])
          for (const server of order) {
            runs.get(server.spec.name)?.push(await bench.measure(server, kase, connections, run))
          }
        }
        for (const [server, list] of runs)
          measurements.push({ kase, connections, server, runs: list })
      }

      for (const server of writes ? running : []) {
        const name = server.spec.name
        const after = await checkLedger(
          dirs.get(name) as string,
          name === 'almacen' ? server.url : undefined
        )
        const acked = bench.acknowledged.get(name) ?? 0
        const audit = auditWrites(
          before.get(name) as RowCounts,
          after,
          acked,
          bench.connectionsUsed.get(name) ?? 0
        )
        checks.push({
          kase,
          server: name,
          ...audit,
          acknowledged: acked,
          movements: after.movements,
          viaApi: after.viaApi,
        })
        const verdict = audit.ok ? 'verified' : `FAILED: ${audit.problems.join('; ')}`
        say(
          `${kase} ${name}: ledger ${verdict} (${acked} writes acknowledged, ${after.movements} movements)`
        )
      }
    }
    for (const summary of summaries.values()) {
      summary.peakRssMb = bench.peakRssMb.get(summary.name) ?? 0
      summary.peakAnonMb = bench.peakAnonMb.get(summary.name) ?? 0
    }
  } finally {
    await Promise.all(running.map((s) => s.stop()))
    if (!options.keep) await rm(root, { recursive: true, force: true })
  }
  return { measurements, checks, servers: [...summaries.values()] }
}
