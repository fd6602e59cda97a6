// Turns the runs into medians, ratios and the targets, all from the same suite.
import type { CaseName } from './load.ts'
import type { Measurement, SuiteResult } from './suite.ts'

export interface Row {
  kase: CaseName
  connections: number
  server: string
  rps: number
  rpsMin: number
  rpsMax: number
  p50: number
  p99: number
  errors: number
  peakRssMb: number
  peakAnonMb: number
  otherCpu: number
  serverCpu: number
  runs: number
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

export function summarize(m: Measurement): Row {
  const rps = m.runs.map((r) => r.rps)
  const round2 = (n: number) => Math.round(n * 100) / 100
  return {
    kase: m.kase,
    connections: m.connections,
    server: m.server,
    rps: Math.round(median(rps)),
    rpsMin: Math.min(...rps),
    rpsMax: Math.max(...rps),
    p50: round2(median(m.runs.map((r) => r.p50))),
    p99: round2(median(m.runs.map((r) => r.p99))),
    errors: m.runs.reduce((sum, r) => sum + r.errors, 0),
    peakRssMb: Math.max(...m.runs.map((r) => r.peakRssMb)),
    peakAnonMb: Math.max(...m.runs.map((r) => r.peakAnonMb)),
    otherCpu: round2(median(m.runs.map((r) => r.otherCpu))),
    serverCpu: round2(median(m.runs.map((r) => r.serverCpu))),
    runs: m.runs.length,
  }
}

export interface Ratio {
  kase: CaseName
  connections: number
  vsMonolith: number | null
  vsLimit: number | null
}

export function ratios(rows: Row[]): Ratio[] {
  const find = (kase: CaseName, connections: number, server: string) =>
    rows.find((r) => r.kase === kase && r.connections === connections && r.server === server)
  const out: Ratio[] = []
  for (const row of rows.filter((r) => r.server === 'almacen')) {
    const monolith = find(row.kase, row.connections, 'monolith')
    const limit = find(row.kase, row.connections, 'limit')
    const ratio = (other?: Row) => (other ? Math.round((row.rps / other.rps) * 100) / 100 : null)
    out.push({
      kase: row.kase,
      connections: row.connections,
      vsMonolith: ratio(monolith),
      vsLimit: ratio(limit),
    })
  }
  return out
}

export interface Target {
  what: string
  goal: string
  measured: string
  met: boolean | null
}

/** The targets, judged on this suite's own figures (null: not measured in this run). */
export function targets(result: SuiteResult, rows: Row[], rs: Ratio[]): Target[] {
  const ratio = (kase: CaseName) => rs.find((r) => r.kase === kase && r.connections === 50)
  const row = (kase: CaseName) =>
    rows.find((r) => r.kase === kase && r.connections === 50 && r.server === 'almacen')
  const almacen = result.servers.find((s) => s.name === 'almacen')
  const atLeast = (what: string, value: number | null | undefined, goal: number): Target => ({
    what,
    goal: `≥ ${goal}×`,
    measured: value == null ? 'n/a' : `${value}×`,
    met: value == null ? null : value >= goal,
  })
  const atMost = (what: string, value: number | undefined, goal: number, unit: string): Target => ({
    what,
    goal: `≤ ${goal} ${unit}`,
    measured: value === undefined ? 'n/a' : `${value} ${unit}`,
    met: value === undefined ? null : value <= goal,
  })
  const audited = result.checks.filter((c) => c.server === 'almacen')
  return [
    atLeast('reads @50 vs monolith', ratio('read')?.vsMonolith, 1.2),
    atLeast('reads @50 vs limit', ratio('read')?.vsLimit, 0.5),
    atMost('reads @50 p99', row('read')?.p99, 15, 'ms'),
    atLeast('receipts @50 vs monolith', ratio('receipt')?.vsMonolith, 1.5),
    atLeast('receipts @50 vs limit', ratio('receipt')?.vsLimit, 1.2),
    {
      what: 'ledger verified, rows match acknowledged writes (all servers)',
      goal: 'every write case',
      measured: `${result.checks.filter((c) => c.ok).length}/${result.checks.length} checks passed`,
      met: audited.length === 0 ? null : result.checks.every((c) => c.ok),
    },
    {
      ...atMost('almacen peak RSS, all processes', almacen?.peakRssMb, 150, 'MB'),
      measured: almacen ? `${almacen.peakRssMb} MB (anon ${almacen.peakAnonMb} MB)` : 'n/a',
    },
    atMost('almacen ready after start', almacen?.readyMs, 2000, 'ms'),
  ]
}
