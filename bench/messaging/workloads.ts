// The messaging workloads, the same for every target (see targets.ts): closed-loop publishers
// each awaiting its confirm, batches, consume with ack from a backlog, publish → delivery to a
// waiting consumer, sync calls counted with strace, and a kill -9 mid-publish with the
// unconfirmed messages sent again with their ids. Messages are 256 bytes, as in the anchor.
import { setTimeout as sleep } from 'node:timers/promises'
import type { Target } from './targets.ts'

export const MSG_SIZE = 256

export interface Latency {
  perSecond: number
  p50: number
  p99: number
}

const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN
  const s = Float64Array.from(values).sort()
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]
}

export function body(n = 0): Buffer {
  const b = Buffer.alloc(MSG_SIZE, 0x61)
  b.writeUInt32LE(n, 0)
  return b
}

/**
 * `publishers` loops, each sending `batch` messages per call and awaiting their confirms before
 * the next; messages per second over `seconds`, after `warmup`; latency is per call.
 */
export async function publishRun(
  t: Target,
  publishers: number,
  batch: number,
  warmup: number,
  seconds: number
): Promise<Latency> {
  const pubs = await Promise.all(Array.from({ length: publishers }, () => t.publisher()))
  const lats: number[] = []
  let measuring = false
  let stop = false
  let errors = 0
  const bodies = Array.from({ length: batch }, () => body())
  const loops = pubs.map(async (p) => {
    while (!stop) {
      const t0 = process.hrtime.bigint()
      try {
        if (batch === 1) await p.send(bodies[0])
        else await p.sendBatch(bodies)
      } catch {
        errors++
        await sleep(10)
        continue
      }
      if (measuring) lats.push(ms(t0))
    }
  })
  await sleep(warmup * 1000)
  measuring = true
  const t0 = process.hrtime.bigint()
  await sleep(seconds * 1000)
  measuring = false
  const took = ms(t0) / 1000
  const n = lats.length
  stop = true
  await Promise.all(loops)
  await Promise.all(pubs.map((p) => p.close()))
  if (errors > n) throw new Error(`${t.name}: ${errors} publishes failed, ${n} confirmed`)
  return {
    perSecond: Math.round((n * batch) / took),
    p50: percentile(lats, 50),
    p99: percentile(lats, 99),
  }
}

/** Fills the queue to `n` messages, in confirmed batches. */
export async function preload(t: Target, n: number) {
  const p = await t.publisher()
  const bodies = Array.from({ length: 500 }, () => body())
  for (let left = n - (await t.depth()); left > 0; left -= 500)
    await p.sendBatch(bodies.slice(0, Math.min(500, left)))
  await p.close()
}

/** One consumer with manual ack at `prefetch`, from a backlog: messages per second. */
export async function consumeRun(t: Target, prefetch: number, backlog: number, seconds: number) {
  await preload(t, backlog)
  const depth = await t.depth()
  let n = 0
  let first: bigint | null = null
  let drained: () => void = () => {}
  const done = new Promise<void>((resolve) => (drained = resolve))
  const consumer = await t.consume(prefetch, () => {
    first ??= process.hrtime.bigint()
    if (++n >= depth) drained()
  })
  await Promise.race([done, sleep(seconds * 1000)])
  const count = n
  const took = first ? ms(first) / 1000 : 0
  await consumer.close()
  return took ? Math.round(count / took) : 0
}

/** Publishes at `rate` per second for `seconds` into a waiting consumer (prefetch 50, long poll). */
export async function endToEnd(t: Target, rate: number, seconds: number) {
  await t.purge()
  const lats: number[] = []
  const consumer = await t.consume(50, (b) => {
    lats.push(Number(process.hrtime.bigint() - b.readBigUInt64LE(8)) / 1e6)
  })
  await sleep(300)
  // Ten connections taken in turn: a send never waits behind the previous one's confirm (HTTP/1.1
  // cannot pipeline as AMQP and NATS do on one connection).
  const pubs = await Promise.all(Array.from({ length: 10 }, () => t.publisher()))
  const total = Math.round(rate * seconds)
  const began = Date.now()
  const sends: Promise<void>[] = []
  for (let i = 0; i < total; i++) {
    const wait = began + (i * 1000) / rate - Date.now()
    if (wait > 0) await sleep(wait)
    const b = body(i)
    b.writeBigUInt64LE(process.hrtime.bigint(), 8)
    sends.push(pubs[i % pubs.length].send(b).catch(() => {}))
  }
  await Promise.all(sends)
  const deadline = Date.now() + 3000
  while (lats.length < total && Date.now() < deadline) await sleep(20)
  await consumer.close()
  await Promise.all(pubs.map((p) => p.close()))
  await t.purge()
  return {
    sent: total,
    delivered: lats.length,
    p50: percentile(lats, 50),
    p99: percentile(lats, 99),
  }
}

/** Sync system calls made by the storage process per 1,000 confirms (strace -c -f). */
export async function syncsPer1000(
  t: Target,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  straceSyncs: (pid: number, dir: string) => any,
  dir: string,
  publishers: number
) {
  await t.purge()
  const tracer = straceSyncs(t.storagePid(), dir)
  if (!tracer) return null
  await tracer.ready()
  const pubs = await Promise.all(Array.from({ length: publishers }, () => t.publisher()))
  let confirmed = 0
  let stop = false
  const loops = pubs.map(async (p) => {
    while (!stop)
      await p.send(body()).then(
        () => confirmed++,
        () => sleep(10)
      )
  })
  await sleep(2000)
  stop = true
  await Promise.all(loops)
  const n = confirmed
  await Promise.all(pubs.map((p) => p.close()))
  const calls = (await tracer.stop()) as Record<string, number> | null
  await t.purge()
  if (!calls) return null
  const syncs = Object.values(calls).reduce((a, b) => a + b, 0)
  return { publishers, confirmed: n, calls, per1000: n ? Math.round((1000 * syncs) / n) : null }
}

/**
 * `publishers` send `n` numbered messages, each with its id; when half are confirmed the server
 * gets kill -9. It is started again, every message not confirmed is sent again with the same id,
 * and the queue is read to the end: duplicates delivered, and confirmed messages lost.
 */
export async function resendAfterKill(t: Target, n: number, publishers: number) {
  await t.purge()
  const pubs = await Promise.all(Array.from({ length: publishers }, () => t.publisher()))
  const confirmed = new Set<number>()
  let next = 0
  let killing: Promise<void> | undefined
  const idOf = (i: number) => `m-${Date.now() % 1e6}-${i}`
  const ids = Array.from({ length: n }, (_, i) => idOf(i))
  await Promise.all(
    pubs.map(async (p) => {
      while (next < n && !killing) {
        const i = next++
        try {
          await p.send(body(i), ids[i])
        } catch {
          return
        }
        confirmed.add(i)
        if (confirmed.size >= n / 2) killing ??= t.kill9()
      }
    })
  )
  await killing
  const confirmedAtKill = confirmed.size
  const restartMs = await t.start()
  await t.open()
  const again = await t.publisher()
  const unconfirmed = ids.map((_, i) => i).filter((i) => !confirmed.has(i))
  for (let at = 0; at < unconfirmed.length; at += 100) {
    const some = unconfirmed.slice(at, at + 100)
    await again.sendBatch(
      some.map((i) => body(i)),
      some.map((i) => ids[i])
    )
  }
  await again.close()
  const read = (await t.readAll()).map((b) => b.readUInt32LE(0))
  const seen = new Set(read)
  let lost = 0
  for (const i of confirmed) if (!seen.has(i)) lost++
  await t.purge()
  return {
    sent: n,
    confirmedAtKill,
    resent: unconfirmed.length,
    delivered: read.length,
    duplicates: read.length - seen.size,
    lostConfirmed: lost,
    restartMs: Math.round(restartMs),
  }
}
