// The printed table, and the same figures as Markdown for the README.
import { readFileSync } from 'node:fs'
import { cpus, release, totalmem } from 'node:os'
import { CASE_LABELS } from './load.ts'
import type { Ratio, Row, Target } from './summary.ts'
import type { ServerSummary } from './suite.ts'

export interface Machine {
  cpu: string
  cores: number
  memoryGb: number
  kernel: string
  node: string
}

export function machine(): Machine {
  const model = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))
  return {
    cpu: model?.[1].trim() ?? cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    node: process.version,
  }
}

export interface Report {
  date: string
  command: string
  machine: Machine
  servers: ServerSummary[]
  rows: Row[]
  ratios: Ratio[]
  targets: Target[]
}

const n = (v: number) => v.toLocaleString('en-US')
const mark = (met: boolean | null) => (met === null ? 'n/a' : met ? 'met' : 'NOT met')

function table(header: string[], body: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)))
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i])).join('  ')
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n')
}

function rowCells(r: Row): string[] {
  return [
    r.kase,
    String(r.connections),
    r.server,
    n(r.rps),
    `${n(r.rpsMin)}–${n(r.rpsMax)}`,
    r.p50.toFixed(2),
    r.p99.toFixed(2),
    String(r.errors),
    `${r.peakRssMb.toFixed(0)} (${r.peakAnonMb.toFixed(0)})`,
    r.serverCpu.toFixed(2),
    r.otherCpu.toFixed(2),
  ]
}

const HEADER = ['case', 'conns', 'server', 'req/s', 'range', 'p50 ms', 'p99 ms', 'errors']
const HEADER_TAIL = ['peak RSS (anon) MB', 'server CPU', 'others CPU']

export function formatText(report: Report): string {
  const m = report.machine
  const lines = [
    `almacen benchmark, ${report.date}: ${m.cores} × ${m.cpu}, ${m.memoryGb} GiB, Node ${m.node}`,
    '',
    ...report.servers.map(
      (s) =>
        `${s.name}: ${s.label}; ready in ${s.readyMs} ms; peak RSS ${s.peakRssMb} MB (anon ${s.peakAnonMb} MB)`
    ),
    '',
    table([...HEADER, ...HEADER_TAIL], report.rows.map(rowCells)),
    '',
    table(
      ['case', 'conns', 'almacen ÷ monolith', 'almacen ÷ limit'],
      report.ratios.map((r) => [
        r.kase,
        String(r.connections),
        `${r.vsMonolith ?? 'n/a'}`,
        `${r.vsLimit ?? 'n/a'}`,
      ])
    ),
    '',
    table(
      ['target', 'goal', 'measured', ''],
      report.targets.map((t) => [t.what, t.goal, t.measured, mark(t.met)])
    ),
    '',
    'req/s and latencies are medians of the runs; "range" is the slowest and fastest run; CPU columns',
    'are cores used on average during the runs (server: all its processes; others: everything on the',
    'machine outside this bench, e.g. other test suites).',
  ]
  return lines.join('\n')
}

export function formatMarkdown(report: Report): string {
  const m = report.machine
  const md = (cells: string[]) => `| ${cells.join(' | ')} |`
  const rule = (k: number) => md(Array(k).fill('---'))
  return [
    `Measured ${report.date} on ${m.cores} × ${m.cpu} (${m.memoryGb} GiB, Linux ${m.kernel}), Node ${m.node}, load generator on the same machine; command: \`${report.command}\`.`,
    '',
    md([...HEADER, 'peak RSS (anon) MB', 'others CPU']),
    rule(HEADER.length + 2),
    ...report.rows.map((r) => md([...rowCells(r).slice(0, 9), r.otherCpu.toFixed(2)])),
    '',
    md(['case', 'conns', 'almacen ÷ monolith', 'almacen ÷ limit']),
    rule(4),
    ...report.ratios.map((r) =>
      md([CASE_LABELS[r.kase], String(r.connections), `${r.vsMonolith}`, `${r.vsLimit}`])
    ),
    '',
    md(['target', 'goal', 'measured', '']),
    rule(4),
    ...report.targets.map((t) => md([t.what, t.goal, t.measured, mark(t.met)])),
    '',
    md(['server', 'ready after start', 'peak RSS, all processes (anon)']),
    rule(3),
    ...report.servers.map((s) =>
      md([s.label, `${s.readyMs} ms`, `${s.peakRssMb} MB (${s.peakAnonMb} MB)`])
    ),
  ].join('\n')
}
