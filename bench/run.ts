// `npm run bench`: almacen against the monolith a user would write instead and against the
// machine's limit, in one run on loopback; then reads during a verify of a big ledger; then its
// peer network, next to Serf; then replication between nodes; then transfers between them; then bulk import and export. Prints the tables and writes
// bench/results/<date>.json (and verify-, membership-, replication-<date>.json).
import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { runBulk } from './bulk/main.ts'
import { PRESETS, runMembership } from './membership/main.ts'
import { parseBenchOptions, USAGE, type BenchOptions } from './options.ts'
import { runReplication } from './replication/main.ts'
import { runMessaging } from './messaging/main.ts'
import { formatMessaging } from './messaging/report.ts'
import { formatTokenCost, runTokenCost } from './token-cost.ts'
import { runTransfers } from './transfers/main.ts'
import { formatMarkdown, formatText, machine, type Report } from './report.ts'
import { ROOT } from './server-process.ts'
import { ratios, summarize, targets } from './summary.ts'
import { runSuite } from './suite.ts'
import { formatVerifyUnderLoad, runVerifyUnderLoad } from './verify-under-load.ts'
import { formatBackupUnderLoad, runBackupUnderLoad } from './backup-under-load.ts'

const argv = process.argv.slice(2)
const options = parseBenchOptions(argv)
if (!options) {
  process.stdout.write(USAGE)
  process.exit(0)
}
const say = (line: string) => process.stdout.write(`${line}\n`)

/** The HTTP part; true when every ledger check after the write cases passed. */
async function runHttp(options: BenchOptions): Promise<boolean> {
  const started = new Date()
  const result = await runSuite(options, say)
  const rows = result.measurements.map(summarize)
  const rs = ratios(rows)
  const report: Report = {
    date: started.toISOString(),
    command: ['npm run bench', ...(argv.length ? ['--', ...argv] : [])].join(' '),
    machine: machine(),
    servers: result.servers,
    rows,
    ratios: rs,
    targets: targets(result, rows, rs),
  }
  say('')
  say(formatText(report))

  const dir = path.join(ROOT, 'bench', 'results')
  await mkdir(dir, { recursive: true })
  const name = started.toISOString().replace(/[:.]/g, '-')
  const { servers, ...settings } = options
  const file = path.join(dir, `${name}${options.quick ? '-quick' : ''}.json`)
  const json = {
    ...report,
    settings,
    measurements: result.measurements,
    checks: result.checks,
  }
  await writeFile(file, `${JSON.stringify(json, null, 2)}\n`)
  await writeFile(file.replace(/\.json$/, '.md'), `${formatMarkdown(report)}\n`)
  say(
    `\nresults: ${path.relative(ROOT, file)} (and .md); took ${Math.round((Date.now() - started.getTime()) / 1000)} s`
  )
  return result.checks.every((c) => c.ok)
}

/** Prints a part's table and keeps it, with its figures, in bench/results/<prefix>-<date>. */
async function keepPart(
  prefix: string,
  options: BenchOptions,
  started: Date,
  table: string,
  result: object
) {
  say('')
  say(table)
  const dir = path.join(ROOT, 'bench', 'results')
  await mkdir(dir, { recursive: true })
  const name = `${prefix}-${started.toISOString().replace(/[:.]/g, '-')}${options.quick ? '-quick' : ''}`
  const report = { date: started.toISOString(), machine: machine(), ...result }
  await writeFile(path.join(dir, `${name}.json`), `${JSON.stringify(report, null, 2)}\n`)
  await writeFile(path.join(dir, `${name}.md`), `${table}\n`)
  say(`\nresults: bench/results/${name}.json (and .md)`)
}

/** The verify part; true when both verifies found the seeded ledger whole. */
async function runVerify(options: BenchOptions): Promise<boolean> {
  const started = new Date()
  const result = await runVerifyUnderLoad(options, say)
  await keepPart('verify', options, started, formatVerifyUnderLoad(result), result)
  return result.ok
}

/** The backup part; true when its target was met. */
async function runBackup(options: BenchOptions): Promise<boolean> {
  const started = new Date()
  const result = await runBackupUnderLoad(options, say)
  await keepPart('backup', options, started, formatBackupUnderLoad(result), result)
  return result.met
}

const started = Date.now()
let ok = true
if (options.parts.includes('http')) ok = await runHttp(options)
if (options.parts.includes('verify')) {
  say('\n== A verify of a big ledger, under reads ==')
  ok = (await runVerify(options)) && ok
}
if (options.parts.includes('backup')) {
  say('\n== A backup of a big database, under reads ==')
  await runBackup(options)
}
if (options.parts.includes('membership')) {
  say('\n== The peer network ==')
  const preset = options.quick ? 'quick' : options.full ? 'full' : 'default'
  await runMembership(PRESETS[preset], preset)
}
if (options.parts.includes('replication')) {
  say('\n== Replication between nodes ==')
  const command = ['npm run bench', ...(argv.length ? ['--', ...argv] : [])].join(' ')
  ok = (await runReplication(options, command, say)) && ok
}
if (options.parts.includes('transfers')) {
  say('\n== Transfers between warehouses ==')
  const command = ['npm run bench', ...(argv.length ? ['--', ...argv] : [])].join(' ')
  await runTransfers(options, command, say)
}
if (options.parts.includes('bulk')) {
  say('\n== Bulk import, export and batches ==')
  const command = ['npm run bench', ...(argv.length ? ['--', ...argv] : [])].join(' ')
  ok = (await runBulk(options, command, say)) && ok
}
if (options.parts.includes('tokens')) {
  say('\n== What checking an API token costs a read ==')
  const began = new Date()
  const result = await runTokenCost(options, say)
  await keepPart('tokens', options, began, formatTokenCost(result), result)
}
if (options.parts.includes('messaging')) {
  say('\n== Messaging: durable queues, against RabbitMQ and NATS JetStream ==')
  const began = new Date()
  const command = ['npm run bench', ...(argv.length ? ['--', ...argv] : [])].join(' ')
  const result = await runMessaging(options, command, say)
  await keepPart('messaging', options, began, formatMessaging(result), result)
}
say(`\nnpm run bench took ${Math.round((Date.now() - started) / 1000)} s`)
process.exit(ok ? 0 : 1)
