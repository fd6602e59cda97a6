// The load generator: autocannon (closed loop, keep-alive), one request shape per case. Latency is
// taken from autocannon's per-response event in fractional milliseconds: its own histogram rounds
// to whole milliseconds, too coarse for sub-millisecond reads.
import autocannon from 'autocannon'
import { random, skuOf } from './seed.ts'
import { withToken } from '../tests/fixtures/tokens.ts'

export const CASES = ['read', 'receipt', 'mix', 'list'] as const
export type CaseName = (typeof CASES)[number]

export const CASE_LABELS: Record<CaseName, string> = {
  read: 'read stock of one item (GET /stock/:sku)',
  receipt: 'record a receipt (POST /movements)',
  mix: '50/50 reads and receipts',
  list: 'list movements of an item (GET /movements?sku=&limit=20)',
}

/** Cases whose requests write: the bench checks the ledger after them. */
export const WRITE_CASES: ReadonlySet<CaseName> = new Set(['receipt', 'mix'])

export interface LoadSpec {
  url: string
  kase: CaseName
  connections: number
  /** Seconds, or a request count when `amount` is set (used by the tests). */
  duration: number
  amount?: number
  /** Stops the load as soon as this settles (the duration is then a cap). */
  until?: Promise<unknown>
  items: number
  /** Makes the idempotency keys of this run unique across runs and servers. */
  runId: string
}

export interface LoadResult {
  responses: number
  seconds: number
  rps: number
  p50: number
  p99: number
  max: number
  errors: number
  /** 201 Created responses: writes the server acknowledged. */
  acknowledged: number
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
}

function requestsFor(spec: LoadSpec): autocannon.Request[] {
  const next = random(spec.runId.length * 7919 + spec.connections)
  const anySku = () => skuOf(Math.floor(next() * spec.items))
  let written = 0
  const read: autocannon.Request = {
    method: 'GET',
    setupRequest: (req) => ({ ...req, path: `/stock/${anySku()}` }),
  }
  const list: autocannon.Request = {
    method: 'GET',
    setupRequest: (req) => ({ ...req, path: `/movements?sku=${anySku()}&limit=20` }),
  }
  const receipt: autocannon.Request = {
    method: 'POST',
    path: '/movements',
    setupRequest: (req) => {
      const body = {
        type: 'receipt',
        sku: anySku(),
        quantity: 1 + (written % 5),
        reference: 'PO-B',
      }
      return {
        ...req,
        headers: {
          ...req.headers,
          'content-type': 'application/json',
          'idempotency-key': `${spec.runId}-${++written}`,
        },
        body: JSON.stringify(body),
      }
    },
  }
  if (spec.kase === 'read') return [read]
  if (spec.kase === 'list') return [list]
  if (spec.kase === 'receipt') return [receipt]
  return [read, receipt]
}

export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const latencies: number[] = []
  let responses = 0
  let failed = 0
  let acknowledged = 0
  let instance: autocannon.Instance | undefined
  const done = new Promise<autocannon.Result>((resolve, reject) => {
    const options = {
      url: spec.url,
      connections: spec.connections,
      duration: spec.duration,
      amount: spec.amount,
      timeout: 20,
      // almacen's admin token (the baselines take none): its check is part of what is measured.
      headers: Object.fromEntries(new Headers(withToken(spec.url).headers).entries()),
      requests: requestsFor(spec),
    }
    instance = autocannon(options, (err, result) => (err ? reject(err) : resolve(result)))
  })
  const stop = () => instance?.stop()
  spec.until?.then(stop, stop)
  instance?.on('response', (_client, status, _bytes, ms) => {
    responses++
    if (status === 201) acknowledged++
    if (status >= 200 && status < 300) latencies.push(ms)
    else failed++
  })
  const result = await done
  const sorted = Float64Array.from(latencies).sort()
  const seconds = result.duration
  const round = (ms: number) => Math.round(ms * 100) / 100
  return {
    responses,
    seconds,
    rps: Math.round(responses / seconds),
    p50: round(percentile(sorted, 50)),
    p99: round(percentile(sorted, 99)),
    max: round(percentile(sorted, 100)),
    errors: failed + result.errors,
    acknowledged,
  }
}
