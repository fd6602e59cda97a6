import type { Logger } from 'pino'
import type { Member } from '../../db/contract/index.ts'
import type {
  InboxResult,
  OutboxMessage,
  TransferMessageEnvelope,
} from '../../db/contract/transfers.ts'
import { failpoint } from '../../lib/failpoint.ts'
import { isoAt, type Clock, type Timer } from '../clock.ts'
import type { Transport } from '../transport/transport.ts'
import { MAX_BATCH, MAX_BATCH_BYTES, resultsFor, TRANSFER_MESSAGES } from './messages.ts'
import type { TransferStore } from './store.ts'

/** How the relay batches, waits for answers and backs off. */
export interface RelayTiming {
  /** Messages per exchange (at most MAX_BATCH). */
  batch: number
  /** How long an answer may take. */
  answerMs: number
  /** The wait after a first failure, doubled after each one after it, up to `maxBackoffMs`. */
  backoffMs: number
  maxBackoffMs: number
  /**
   * The least time from one exchange's start to the next one's, unless the last read left a
   * backlog: under a steady stream the messages that come meanwhile go together, and with them
   * the settle, the peer's inbox transaction and the page of the peer's log this node replicates
   * after it. A message after a quiet spell goes at once. 60 ms, not 30: measured with A taking
   * 1,500 receipts/s, a transfer at 50/s cost the four processes of two nodes 4.0–8.2 ms of CPU
   * (median 7.2) against 9.4–12.0 (10.3), while a steady 20/s reached B's event stream in 40–42 ms
   * at p50 against 16.
   */
  spacingMs: number
}

export const DEFAULT_RELAY: RelayTiming = {
  batch: MAX_BATCH,
  answerMs: 10_000,
  backoffMs: 200,
  maxBackoffMs: 30_000,
  spacingMs: 60,
}

export interface LaneDeps {
  peer: string
  self: { id: string; name: string }
  /** The peer as membership knows it now; undefined when it is not a member. */
  member: () => Member | undefined
  transport: Transport
  store: TransferStore
  clock: Clock
  random: () => number
  log: Logger
  timing: RelayTiming
}

/** One peer's lane as it stands (GET /transfers' messages carry the durable half). */
export interface LaneStatus {
  peer: string
  name: string
  /** Messages the peer answered for since this node started. */
  delivered: number
  /**
   * Of those, the ones it refused (each stays in the outbox marked refused, with why, and is
   * logged): a federated message or a transfer step the peer will not apply.
   */
  refused: number
  /** Attempts failed in a row; 0 after an answer. */
  failures: number
  lastError: string | null
  /** When it is tried again after a failure; null when not waiting on a back-off. */
  nextAttemptAt: string | null
}

/** What the peer's inbox validates: the envelope, without the outbox's own columns. */
const envelope = ({ id, kind, transferId, createdAt, payload }: OutboxMessage) =>
  ({ id, kind, transferId, createdAt, payload }) satisfies TransferMessageEnvelope

/** The oldest messages that fit one request body (one at least, whatever its size). */
function fitting(messages: OutboxMessage[]): { batch: TransferMessageEnvelope[]; bytes: number } {
  const batch: TransferMessageEnvelope[] = []
  let bytes = 0
  for (const message of messages) {
    const one = envelope(message)
    const size = Buffer.byteLength(JSON.stringify(one)) + 1
    if (batch.length > 0 && bytes + size > MAX_BATCH_BYTES) break
    batch.push(one)
    bytes += size
  }
  return { batch, bytes }
}

/**
 * Carries one peer's outbox to it, in order: the oldest pending messages in a batch, signed, and
 * recorded as delivered once the peer's answer speaks of each of them; on a failure the batch is
 * recorded as failed and tried again after a back-off (jittered, doubling up to a bound), for
 * ever. Idle, it waits to be kicked: nothing polls.
 */
export class Lane {
  private stopped = false
  private running: Promise<void> | null = null
  /** Kicked since the outbox was last read: read it again before going idle. */
  private dirty = false
  private sleeping: { idle: boolean; wake: () => void } | null = null
  private failures = 0
  private delivered = 0
  private refused = 0
  private lastError: string | null = null
  private retryAt: number | null = null
  /** Membership saw the peer alive since the last attempt: no back-off before the next one. */
  private hurry = false
  /** The reason last written to the outbox for a peer not a member (written once). */
  private recordedWait: string | null = null
  /** When the last exchange began (clock time); null before the first. */
  private lastStart: number | null = null
  /** The last read left messages behind (a full batch): the next exchange need not wait. */
  private backlog = false
  /**
   * Messages the peer answered for, their delivery being recorded: reads skip them until the
   * record commits (see `record`).
   */
  private readonly recording = new Set<string>()
  /** A record that failed since the loop last looked: the lane backs off on it. */
  private recordFailed: string | null = null

  constructor(private readonly deps: LaneDeps) {}

  /** Something may be new in the outbox: read it now, unless a back-off is under way. */
  kick(): void {
    if (this.stopped) return
    this.dirty = true
    this.running ??= this.run().finally(() => (this.running = null))
    if (this.sleeping?.idle) this.sleeping.wake()
  }

  /** Membership sees the peer alive: no back-off left, tried at once. */
  alive(): void {
    if (this.stopped) return
    this.failures = 0
    this.hurry = true
    this.kick()
    this.sleeping?.wake()
  }

  /** The node stops: a wait ends at once; an exchange in flight is abandoned, never recorded. */
  stop(): void {
    this.stopped = true
    this.sleeping?.wake()
  }

  status(): LaneStatus {
    const { peer, clock } = this.deps
    return {
      peer,
      name: this.deps.member()?.name ?? '',
      delivered: this.delivered,
      refused: this.refused,
      failures: this.failures,
      lastError: this.lastError,
      nextAttemptAt: this.retryAt === null ? null : isoAt(clock, this.retryAt),
    }
  }

  private async run(): Promise<void> {
    // Under a backlog, the next batch is read while this one is with the peer, and a batch's
    // delivery is recorded while the next one goes (`record`): the lane no longer waits twice an
    // exchange in the worker's queue behind the writes that fill the outbox. Batches still go one
    // at a time, each after the peer answered the one before, so the peer applies them in order.
    let ahead: Promise<OutboxMessage[]> | undefined
    while (!this.stopped) {
      if (!ahead) this.dirty = false
      const member = this.deps.member()
      if (!member) {
        ahead = undefined
        await this.waitForMembership()
        continue
      }
      if (this.recordFailed !== null) {
        const why = this.recordFailed
        this.recordFailed = null
        ahead = undefined
        await this.backOff(why)
        continue
      }
      this.recordedWait = null
      if (!ahead) await this.spaced()
      if (this.stopped) return
      const reading = ahead ?? this.read()
      ahead = undefined
      let pending: OutboxMessage[]
      try {
        pending = await reading
      } catch (err) {
        await this.backOff(`the outbox could not be read: ${(err as Error).message}`)
        continue
      }
      if (this.stopped) return
      // Read around a delivery whose record then failed: read again, after the back-off.
      if (this.recordFailed !== null) continue
      if (pending.length === 0) {
        if (!this.dirty) await this.sleep(Infinity, true)
        continue
      }
      const batch = fitting(pending)
      this.backlog = pending.length >= this.deps.timing.batch || batch.batch.length < pending.length
      if (this.backlog) {
        ahead = this.read(batch.batch)
        // Handled here, once: it may fail (a worker restarting) while the batch is with the peer,
        // and it may be dropped unread; the loop's await still sees its failure.
        ahead.catch(() => undefined)
      }
      let sent = false
      try {
        sent = await this.send(member, batch)
      } catch (err) {
        // Nothing the lane calls should throw; should it, the lane backs off rather than end.
        await this.backOff(`the attempt failed: ${(err as Error).message}`)
      }
      if (!sent) ahead = undefined // read around a batch that is to go again
      // Everything the read found is delivered and nothing was put in since (a commit that puts
      // a message in kicks the lane; one whose answer timed out kicks it again later, and a
      // worker's restart kicks every lane; a record that fails kicks it too): the outbox holds
      // nothing for the peer, so the lane goes idle without reading it again.
      if (sent && !this.backlog && !this.dirty && !this.stopped) await this.sleep(Infinity, true)
    }
  }

  /**
   * The oldest pending messages, a batch at most: those with the peer now (`withPeer`) and those
   * whose delivery is being recorded left out. A kick from now on is news to this read.
   */
  private async read(withPeer: TransferMessageEnvelope[] = []): Promise<OutboxMessage[]> {
    this.dirty = false
    const skip = new Set([...this.recording, ...withPeer.map((m) => m.id)])
    const { batch } = this.deps.timing
    const pending = await this.deps.store.pending(this.deps.peer, batch + skip.size)
    return pending.filter((m) => !skip.has(m.id)).slice(0, batch)
  }

  /** Waits out what is left of the spacing since the last exchange began (see RelayTiming). */
  private async spaced(): Promise<void> {
    if (this.backlog || this.lastStart === null) return
    const { spacingMs } = this.deps.timing
    // Never more than the spacing: a wall clock set back would otherwise hold the lane that long.
    const left = Math.min(spacingMs, this.lastStart + spacingMs - this.deps.clock.now())
    if (left > 0) await this.sleep(left, false)
  }

  /** One attempt: the batch to the peer, and what became of it recorded; true when delivered. */
  private async send(
    member: Member,
    { batch, bytes }: { batch: TransferMessageEnvelope[]; bytes: number }
  ): Promise<boolean> {
    const { transport, store, clock, self, timing } = this.deps
    this.hurry = false
    this.lastStart = clock.now()
    failpoint('relay.before-send')
    const outcome = await transport.call({
      kind: TRANSFER_MESSAGES,
      address: member.address,
      to: member.id,
      body: { fromName: self.name, messages: batch },
      timeoutMs: timing.answerMs,
    })
    // Abandoned: the batch stays pending, is sent again on the next start, and the peer's inbox
    // answers `duplicate` for whatever it had applied.
    if (this.stopped) return false
    const results = outcome.ok ? resultsFor(batch, outcome.body) : undefined
    if (!results || 'problem' in results) {
      const why = outcome.ok
        ? `bogus: ${(results as { problem: string }).problem}`
        : `${outcome.reason}: ${outcome.message}`
      // Alone and still too big for a peer to read: said, since every message after it waits.
      const tooBig =
        bytes > MAX_BATCH_BYTES
          ? `; message ${batch[0].id} is ${bytes} bytes, more than one request carries (${MAX_BATCH_BYTES}; a node reads 64 KiB): it and those after it to this peer wait until that changes`
          : ''
      await this.backOff(`${member.name || member.id} not reached: ${why}${tooBig}`, batch)
      return false
    }
    failpoint('relay.after-answer-before-settle')
    this.record(member, results)
    return true
  }

  /**
   * The peer's answers recorded in the outbox while the lane goes on; reads skip the messages
   * until the record commits. Should it fail (the worker restarting), they are read again and
   * sent again after a back-off, and the peer answers `duplicate`: applied once.
   */
  private record(member: Member, results: InboxResult[]): void {
    const { store, clock, log } = this.deps
    const ids = results.map((r) => r.id)
    for (const id of ids) this.recording.add(id)
    const at = isoAt(clock)
    const settled = store.settle({
      delivered: results.map(({ id, status, code, message }) => ({
        id,
        status,
        at,
        ...(status === 'refused' && {
          problem: `${code ?? 'REFUSED'}: ${message ?? ''}`.slice(0, 1000),
        }),
      })),
      failed: [],
    })
    const done = () => {
      for (const id of ids) this.recording.delete(id)
    }
    settled.then(
      () => {
        done()
        const refusals = results.filter((r) => r.status === 'refused')
        this.delivered += results.length
        this.refused += refusals.length
        // Only now, so a record failing again and again backs off further each time; and not
        // during a back-off that began since (the lane's last word on the peer stands).
        if (this.retryAt === null) {
          this.failures = 0
          this.lastError = null
        }
        const duplicates = results.filter((r) => r.status === 'duplicate').length
        if (duplicates > 0) {
          log.info(
            { peer: member.id, duplicates },
            `${member.name || member.id} had applied ${duplicates} of these ${results.length} messages already (sent again after a lost answer or a crash): answered duplicate, applied once`
          )
        }
        for (const r of refusals) {
          log.warn(
            { peer: member.id, message: r.id, code: r.code, problem: r.message },
            `${member.name || member.id} refused transfer message ${r.id}: ${r.code} ${r.message ?? ''}`
          )
        }
      },
      (err: Error) => {
        done()
        if (this.stopped) return
        // Answered but not recorded: sent again, and answered `duplicate`.
        this.recordFailed = `delivered, not recorded: ${err.message}`
        this.kick()
      }
    )
  }

  /** After a failure: recorded on the batch (when there is one), then the back-off waited. */
  private async backOff(error: string, batch: TransferMessageEnvelope[] = []): Promise<void> {
    const { store, clock, log, peer } = this.deps
    const wait = this.nextBackoff()
    this.lastError = error
    this.retryAt = clock.now() + wait
    if (batch.length > 0) {
      const nextAttemptAt = isoAt(clock, this.retryAt)
      const text = error.slice(0, 1000)
      const failed = batch.map(({ id }) => ({ id, error: text, nextAttemptAt }))
      await store.settle({ delivered: [], failed }).catch((err) => {
        log.warn({ err, peer }, 'a failed attempt could not be recorded in the outbox')
      })
    }
    // Seen alive since this attempt began: the next one goes now (once: a hurry is spent here).
    const hurry = this.hurry
    this.hurry = false
    // Stopped while the outbox was written: no sleep that nothing would end.
    if (!hurry && !this.stopped) await this.sleep(wait, false)
    this.retryAt = null
  }

  /** Not a member: said once in the outbox, then nothing until membership knows the peer. */
  private async waitForMembership(): Promise<void> {
    const { store, clock, peer, log } = this.deps
    const why = `node ${peer} is not a member of this network: waiting until it joins`
    this.lastError = why
    if (this.recordedWait !== why) {
      this.recordedWait = why
      try {
        const pending = await store.pending(peer, this.deps.timing.batch)
        const at = isoAt(clock)
        const failed = pending.map(({ id }) => ({ id, error: why, nextAttemptAt: at }))
        if (failed.length > 0) await store.settle({ delivered: [], failed })
      } catch (err) {
        log.warn({ err, peer }, 'why the outbox waits could not be recorded')
      }
    }
    if (!this.dirty && !this.stopped && !this.deps.member()) await this.sleep(Infinity, true)
  }

  private nextBackoff(): number {
    const { backoffMs, maxBackoffMs } = this.deps.timing
    const full = Math.min(maxBackoffMs, backoffMs * 2 ** this.failures)
    this.failures++
    // Half fixed, half random: peers cut off together do not all come back at once.
    return Math.round(full / 2 + (this.deps.random() * full) / 2)
  }

  /** Waits `ms` (or until kicked, when `idle`); `alive()` and `stop()` end any wait. */
  private sleep(ms: number, idle: boolean): Promise<void> {
    return new Promise((resolve) => {
      let timer: Timer | undefined
      const wake = () => {
        if (this.sleeping?.wake === wake) this.sleeping = null
        this.deps.clock.clearTimeout(timer)
        resolve()
      }
      this.sleeping = { idle, wake }
      if (ms !== Infinity) timer = this.deps.clock.setTimeout(wake, ms)
    })
  }
}
