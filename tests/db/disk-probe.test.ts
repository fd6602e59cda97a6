// The worker's probe for room while its writes fail for want of space (db/disk-probe.ts,
// db/disk-full.ts): what ends the flag, and when the probe runs, idle or under a stream.
import t, { type Test } from 'tap'
import { diskFull, diskFullError, noteRoom } from '../../db/disk-full.ts'
import { servedWorker } from '../fixtures/served-worker.ts'

/** A worker on a fresh database whose disk is full: its movements refused, DISK_FULL said. */
async function fullWorker(t: Test, diskProbeMs: number, maxInFlight = 10) {
  const { knex, db } = await servedWorker(t, { restAfterMs: 60_000, diskProbeMs }, { maxInFlight })
  t.teardown(noteRoom) // the flag is this process's: the next test starts without it
  await db.call('items.create', { sku: 'ROPE', name: 'Rope', unit: 'm' })
  // SQLite's own limit on the file's pages: past it, a write fails as on a disk with no space.
  const [{ pageCount }] = await knex.raw('PRAGMA page_count')
  await knex.raw(`PRAGMA max_page_count = ${pageCount}`)
  let failed = false
  for (let i = 0; !failed; i++) {
    if (i > 10_000) throw new Error('the pages never filled')
    const note = `fill ${i} `.repeat(100)
    await db
      .call('movements.record', { type: 'receipt', sku: 'ROPE', quantity: 1, note })
      .catch((err: { code?: string }) => (failed = err.code === 'DISK_FULL'))
  }
  const status = async () => (await db.call('ledger.status', {})).data as { diskFull?: unknown }
  return { knex, db, status }
}

t.test(
  'a write that commits once space is freed has the worker probe at once: the flag ends then, not at the next beat',
  async (t) => {
    const { knex, db, status } = await fullWorker(t, 60_000)
    t.ok((await status()).diskFull, 'full')
    await knex.raw('PRAGMA max_page_count = 1000000000') // space again
    await db.call('movements.record', { type: 'receipt', sku: 'ROPE', quantity: 1 })
    // The probe runs once the loop is free after the write's batch: before the beat of 60 s by far.
    const started = Date.now()
    while ((await status()).diskFull) {
      if (Date.now() - started > 5000) throw new Error('the flag did not end after a write')
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
    t.pass('the flag ended once the probe after the write committed')
  }
)

t.test(
  'under a stream of writes with no gap between batches, the probe runs between them: the flag ends while the stream goes on',
  async (t) => {
    const { knex, db } = await fullWorker(t, 60_000, 1_000_000)
    await knex.raw('PRAGMA max_page_count = 1000000000') // space again
    // Sent faster than the worker commits them (this process is the worker too): its queue is
    // never empty until the sending stops, so a probe that waited for an empty queue never ran.
    const sent: Promise<unknown>[] = []
    const started = Date.now()
    while (diskFull() && Date.now() - started < 4000) {
      for (let i = 0; i < 20; i++) {
        sent.push(db.call('movements.record', { type: 'receipt', sku: 'ROPE', quantity: 1 }))
      }
      await new Promise((resolve) => setImmediate(resolve))
    }
    t.equal(diskFull(), null, `the flag ended while writes were still being sent (${sent.length})`)
    await Promise.all(sent)
  }
)

/** Calls kept unanswered at once by probesUnderStream: more than a batch (MAX_BATCH) waits. */
const IN_FLIGHT = 1000

/**
 * A worker whose probe only records when it began (and, with `room`, ends the flag as a probe
 * that commits does); the disk is not full: the flag is set by hand, as a refused write sets it.
 */
async function probedWorker(t: Test, diskProbeMs: number, room = false) {
  const probes: number[] = []
  const probeRoom = async () => {
    probes.push(performance.now())
    if (room) noteRoom()
  }
  const { db } = await servedWorker(
    t,
    { restAfterMs: 60_000, diskProbeMs, probeRoom },
    { maxInFlight: 1_000_000 }
  )
  await db.call('items.create', { sku: 'ROPE', name: 'Rope', unit: 'm' })
  diskFullError()
  t.teardown(noteRoom) // the flag is this process's: the next test starts without it
  return { db, probes }
}

/**
 * Keeps IN_FLIGHT calls of `op` unanswered for `ms` (this process is the worker too: its queue
 * is never empty meanwhile), topped up at every turn; the probes begun by then.
 */
async function probesUnderStream(t: Test, diskProbeMs: number, op: 'write' | 'read', ms: number) {
  const { db, probes } = await probedWorker(t, diskProbeMs)
  const sent: Promise<unknown>[] = []
  const started = performance.now()
  let inFlight = 0
  while (performance.now() - started < ms) {
    for (; inFlight < IN_FLIGHT; inFlight++) {
      const call =
        op === 'write'
          ? db.call('movements.record', { type: 'receipt', sku: 'ROPE', quantity: 1 })
          : db.call('node.ping', {})
      sent.push(call.finally(() => inFlight--))
    }
    await new Promise((resolve) => setImmediate(resolve))
  }
  const during = [...probes] // not those of the backlog, answered after
  await Promise.all(sent)
  return during
}

t.test(
  'writes that commit on a disk still full have it probed at most once a second',
  async (t) => {
    const during = await probesUnderStream(t, 60_000, 'write', 2500)
    t.ok(during.length >= 2, `${during.length} probes in 2.5 s of writes`)
    const gaps = during.slice(1).map((at, i) => at - during[i])
    t.ok(
      gaps.every((gap) => gap >= 995), // a second (PROBE_GAP_MS), as the README says
      `the gaps: ${gaps.map(Math.round).join(', ')} ms`
    )
  }
)

t.test(
  "the probe's 200 ms beat, falling due during an endless stream of reads, has it run during the stream",
  async (t) => {
    const during = await probesUnderStream(t, 200, 'read', 2000)
    // Each probe sets the next a beat on, and it runs after the batch in which it falls due: the
    // probes come a little less often than every 200 ms. Left to the end of the stream, none.
    t.ok(during.length >= 1, `${during.length} probes in 2 s of reads, one due every 200 ms`)
  }
)

t.test('an idle worker probes on its beat while the flag is up, with nothing asked', async (t) => {
  const { db, probes } = await probedWorker(t, 100)
  await db.call('node.ping', {}) // a batch ends with the flag up, as one a refusal raised it in
  const until = Date.now() + 5000
  while (probes.length < 3 && Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  t.ok(probes.length >= 3, `${probes.length} probes with nothing asked, one due every 100 ms`)
})

t.test('once a probe finds room, no probe follows', async (t) => {
  const { db, probes } = await probedWorker(t, 100, true)
  await db.call('node.ping', {}) // the loop free with the flag up: a probe due 100 ms on
  await db.call('movements.record', { type: 'receipt', sku: 'ROPE', quantity: 1 }) // cues it
  const until = Date.now() + 5000
  while (probes.length === 0 && Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  t.equal(diskFull(), null, 'a probe ended the flag')
  // Four beats: a deadline kept after the flag ended would have had the worker probe again.
  await new Promise((resolve) => setTimeout(resolve, 400))
  t.equal(probes.length, 1, 'one probe, none after it')
})

t.test(
  'a worker whose writes failed for want of space learns by itself that there is room again, reads coming or not',
  async (t) => {
    const { knex, status } = await fullWorker(t, 30)
    // Still full once the probe (30 ms after the refusal) has had time to run: it needs two free
    // pages, where the fill left none, and a small write of its own no longer ends the flag (it
    // did, and on a loaded machine before this look: CI, once).
    await new Promise((resolve) => setTimeout(resolve, 200))
    t.ok((await status()).diskFull, 'full, the probe run or not')
    const [{ n: movements }] = await knex.raw('SELECT count(*) AS n FROM movements')
    await knex.raw('PRAGMA max_page_count = 1000000000') // space again; nobody writes
    // Reads keep coming meanwhile (a health check, more often than the probe): they must not
    // push the probe back for ever.
    const started = Date.now()
    while ((await status()).diskFull) {
      if (Date.now() - started > 5000) throw new Error('the flag did not end with no write asked')
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
    const [{ n: after }] = await knex.raw('SELECT count(*) AS n FROM movements')
    t.equal(after, movements, 'no movement was written to learn it')
  }
)
