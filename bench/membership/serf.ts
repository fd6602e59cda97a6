// HashiCorp Serf measured in the same run, with the anchor script in ../shared/anchors/serf/
// (Debian's `serf`): the system our membership is measured against.
import { spawn, execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

const SCRIPT = path.resolve('..', 'shared', 'anchors', 'serf', 'serf-membership-bench.sh')

export interface SerfRow {
  n: number
  joinPollS: number
  crashPollS: number
  rejoinPollS: number
  leavePollS: number
  leaveSeenAsFailedBy: number
  idleCpuPct: number
  idleRssMb: number
}

export interface SerfResult {
  rows: SerfRow[]
  extras: Record<string, Record<string, string>[]>
  skipped?: string
}

function tsv(file: string): Record<string, string>[] {
  const [header, ...lines] = readFileSync(file, 'utf8').trim().split('\n')
  const names = header.split('\t')
  return lines.map((line) => Object.fromEntries(line.split('\t').map((v, i) => [names[i], v])))
}

/** The extras file: a kind, then N, then key=value fields. */
function extrasOf(file: string): SerfResult['extras'] {
  const extras: SerfResult['extras'] = {}
  if (!existsSync(file)) return extras
  for (const line of readFileSync(file, 'utf8').trim().split('\n')) {
    const [kind, n, ...fields] = line.split('\t')
    const entry: Record<string, string> = { n }
    for (const field of fields) {
      const eq = field.indexOf('=')
      if (eq > 0) entry[field.slice(0, eq)] = field.slice(eq + 1)
    }
    ;(extras[kind] ??= []).push(entry)
  }
  return extras
}

export async function runSerf(env: Record<string, string>): Promise<SerfResult> {
  if (!existsSync(SCRIPT)) return { rows: [], extras: {}, skipped: `no anchor script at ${SCRIPT}` }
  try {
    execFileSync('serf', ['version'], { stdio: 'ignore' })
  } catch {
    return { rows: [], extras: {}, skipped: 'serf is not installed (apt-get install -y serf)' }
  }
  const out = mkdtempSync(path.join(tmpdir(), 'serf-bench-'))
  const child = spawn('bash', [SCRIPT], {
    env: { ...process.env, OUT_DIR: out, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  child.stderr.on('data', (chunk: Buffer) => {
    for (const line of String(chunk).trim().split('\n')) process.stderr.write(`  serf: ${line}\n`)
  })
  const code = await new Promise((resolve) => child.on('exit', resolve))
  if (code !== 0 || !existsSync(path.join(out, 'raw.tsv')))
    return { rows: [], extras: {}, skipped: `the serf script exited with ${code}` }
  const rows = tsv(path.join(out, 'raw.tsv')).map((r) => ({
    n: Number(r.N),
    joinPollS: Number(r.join_poll_s),
    crashPollS: Number(r.crash_all_dead_poll_s),
    rejoinPollS: Number(r.rejoin_all_poll_s),
    leavePollS: Number(r.leave_all_poll_s),
    leaveSeenAsFailedBy: Number(r.leave_seen_as_failed_by),
    idleCpuPct: Number(r.idle_cpu_mean_pct),
    idleRssMb: Number(r.idle_rss_mean_mb),
  }))
  return { rows, extras: extrasOf(path.join(out, 'extras.tsv')) }
}
