import { parseArgs } from 'node:util'
import { CASES, type CaseName } from './load.ts'
import { SERVERS, type ServerSpec } from './server-process.ts'

export interface BenchOptions {
  items: number
  movements: number
  runs: number
  /** Seconds per measured run. */
  duration: number
  /** Seconds of load before the runs of each case and connection count, not measured. */
  warmup: number
  connections: number[]
  cases: CaseName[]
  servers: ServerSpec[]
  /** CPU (in cores) used by other processes above which a run is repeated. */
  noiseLimit: number
  /** Seconds of repeated runs allowed in all, so a busy machine cannot stretch the suite. */
  retryBudget: number
  keep: boolean
  quick: boolean
  /** Movements in the ledger of the verify and backup parts. */
  verifyMovements: number
  /**
   * Which parts run: the HTTP cases against the baselines, a verify under load, the network,
   * replication between nodes.
   */
  parts: (
    | 'http'
    | 'verify'
    | 'backup'
    | 'membership'
    | 'replication'
    | 'transfers'
    | 'bulk'
    | 'tokens'
    | 'messaging'
  )[]
  /** The membership part with every trial the targets name (20 storms, leaves, restarts). */
  full: boolean
}

export const USAGE = `Usage: npm run bench -- [options]

  --quick               a smoke run: small database, 1 run of 1 s per case
  --runs <n>            measured runs per case and connection count (default 3; the
                        transfers part's cost takes at least 7 pairs, but with --quick)
  --duration <s>        seconds per run (default 2; the transfers part's cost at least 3 s)
  --warmup <s>          unmeasured load before each case and connection count (default 0.5)
  --conns <list>        connection counts (default 1,10,50)
  --cases <list>        ${CASES.join(',')} (default all)
  --servers <list>      almacen,monolith,limit (default all)
  --items <n>           seeded items (default 10000)
  --movements <n>       seeded movements (default 100000)
  --verify-movements <n> movements in the ledger of the verify and backup parts (default
                        1000000; --quick 100000)
  --noise-limit <cores> repeat a run when other processes used more CPU than this (default 0.3)
  --keep                keep the data directories
  --part <name>         http (requests against the baselines), verify (reads at 50
                        connections during a verify of a big ledger), backup (the same
                        during a backup of it), membership (the peer
                        network, with Serf), replication (catch-up, lag, network stock, the
                        cost of being replicated), transfers (per second at 1, 10, 50
                        senders, latency to the receiver, drain after a cut, cost to
                        receipts), bulk (import of 10,000 items as CSV, exports, a
                        batch of 1,000 movements), tokens (the CPU a token check costs,
                        as a share of a read at 50 connections), messaging (queues:
                        publish at 1, 10, 50 publishers, batches, consume with ack,
                        publish → delivery, syncs, kill -9 and resend, idle RSS;
                        against RabbitMQ and NATS JetStream when installed), or all
                        (default)
  --full                the membership part with 3 runs per size and 20 trials of each extra
`

function list(value: string | undefined, fallback: string): string[] {
  return (value ?? fallback)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
}

function partsOf(part: string): BenchOptions['parts'] {
  const one = [
    'http',
    'verify',
    'backup',
    'membership',
    'replication',
    'transfers',
    'bulk',
    'tokens',
    'messaging',
  ] as const
  if (part === 'all') return [...one]
  const found = one.find((p) => p === part)
  if (found) return [found]
  throw new Error(
    `--part must be http, verify, backup, membership, replication, transfers, bulk, tokens, messaging or all, not ${part}`
  )
}

export function parseBenchOptions(argv: string[]): BenchOptions | null {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      runs: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      conns: { type: 'string' },
      cases: { type: 'string' },
      servers: { type: 'string' },
      items: { type: 'string' },
      movements: { type: 'string' },
      'verify-movements': { type: 'string' },
      'noise-limit': { type: 'string' },
      keep: { type: 'boolean', default: false },
      part: { type: 'string', default: 'all' },
      full: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  })
  if (values.help) return null
  const quick = values.quick === true
  const number = (value: string | undefined, normal: number, smoke: number) => {
    const n = Number(value ?? (quick ? smoke : normal))
    if (!Number.isFinite(n) || n <= 0) throw new Error(`not a positive number: ${value}`)
    return n
  }
  const cases = list(values.cases, CASES.join(','))
  for (const c of cases)
    if (!(CASES as readonly string[]).includes(c)) throw new Error(`no case ${c}`)
  const names = list(values.servers, SERVERS.map((s) => s.name).join(','))
  return {
    items: number(values.items, 10_000, 1_000),
    movements: number(values.movements, 100_000, 10_000),
    verifyMovements: number(values['verify-movements'], 1_000_000, 100_000),
    runs: number(values.runs, 3, 1),
    duration: number(values.duration, 2, 1),
    warmup: number(values.warmup, 0.5, 0.5),
    connections: list(values.conns, '1,10,50').map(Number),
    cases: cases as CaseName[],
    servers: SERVERS.filter((s) => names.includes(s.name)),
    noiseLimit: number(values['noise-limit'], 0.3, 0.3),
    retryBudget: quick ? 0 : 60,
    keep: values.keep === true,
    quick,
    parts: partsOf(values.part as string),
    full: values.full === true,
  }
}
