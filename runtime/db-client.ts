import { Dealer } from 'zeromq'
import type { Logger } from 'pino'
import {
  PROTOCOL_VERSION,
  WRITE_OPS,
  type Notice,
  type OpName,
  type Payload,
  type ReplyEnvelope,
  type RequestEnvelope,
} from '../db/contract/index.ts'
import { whenHolds } from '../lib/when-holds.ts'
import { HttpError, errorFromCode } from './errors.ts'

export interface DbReply<T> {
  data: T
  replayed: boolean
}

export interface CallOptions {
  timeoutMs?: number
  /** Idempotency key, honoured by write operations. */
  key?: string
  /** Who asks, recorded on the ledger rows a write makes (RequestEnvelope.actor). */
  actor?: string
}

/** Envelopes in one frame at most (see `RequestEnvelope` in db/contract/envelope.ts). */
const MAX_PER_FRAME = 128

interface Pending {
  resolve(reply: DbReply<unknown>): void
  reject(err: Error): void
  timer: NodeJS.Timeout
  /** A write: its outcome is unknown if it fails in flight (a read's is nothing). */
  write: boolean
  /** A write with an idempotency key: a retry with it is safe. */
  keyed: boolean
}

/** Told the event log's new head, and the ledger's last row with it when the worker says. */
/** `outbox`: the appends may have put messages for peers in the outbox (federation). */
export type EventsListener = (
  head: number,
  ledger?: { seq: number; hash: string },
  outbox?: boolean
) => void

export interface DbClientOptions {
  log: Logger
  /** How long a caller waits for a reply by default (504 after). */
  timeoutMs: number
  /** Calls in flight beyond this are refused with 503 instead of queueing without bound. */
  maxInFlight: number
}

/**
 * The runtime's side of the ZeroMQ link: one Dealer socket, many calls in flight, replies matched
 * to callers by envelope id. The caller owns the timeout; a late reply is dropped.
 */
export class DbClient {
  private dealer: Dealer | null = null
  private readonly pending = new Map<string, Pending>()
  private readonly outbox: RequestEnvelope[] = []
  private sending = false
  private flushQueued = false
  private nextId = 0
  private readonly eventListeners = new Set<EventsListener>()
  /** Told each time a call leaves `pending` (writesSettled). */
  private readonly leaving = new Set<() => void>()

  constructor(private readonly options: DbClientOptions) {}

  get connected(): boolean {
    return this.dealer !== null
  }

  get inFlight(): number {
    return this.pending.size
  }

  /**
   * Resolves once no write is in flight (at once when none is), or after `timeoutMs` whatever:
   * a stopping node's writes are committed, or known to have failed, before its peers are given
   * their last pages.
   */
  writesSettled(timeoutMs: number): Promise<void> {
    const noWrite = () => ![...this.pending.values()].some((call) => call.write)
    return whenHolds(noWrite, this.leaving, timeoutMs)
  }

  /** A call is no longer in flight: answered, timed out, or cut off. */
  private settled(id: string): void {
    this.pending.delete(id)
    for (const check of [...this.leaving]) check()
  }

  /**
   * Calls `listener` with the event log's last seq each time the worker says the log has grown
   * (after the commit of a batch that appended events): no polling. Returns the unsubscribe.
   */
  onEvents(listener: EventsListener): () => void {
    this.eventListeners.add(listener)
    return () => this.eventListeners.delete(listener)
  }

  connect(endpoint: string): void {
    this.disconnect('reconnecting')
    // linger 0: when the worker dies, messages still queued must be dropped, never delivered to
    // its successor after their callers were told 503.
    const dealer = new Dealer({
      linger: 0,
      sendHighWaterMark: 10_000,
      receiveHighWaterMark: 10_000,
    })
    dealer.connect(endpoint)
    this.dealer = dealer
    void this.receive(dealer)
  }

  /** Drops the link: every call in flight fails with 503 at once, and new calls too until connect(). */
  disconnect(reason: string): void {
    const dealer = this.dealer
    this.dealer = null
    this.outbox.length = 0
    if (dealer) dealer.close()
    for (const [id, call] of this.pending) {
      clearTimeout(call.timer)
      this.settled(id)
      const unknown = call.write ? '; a write in flight may or may not have been applied' : ''
      call.reject(unavailable(`${reason}${unknown}`, retry(call)))
    }
  }

  call<O extends OpName>(
    op: O,
    payload: Payload<O>,
    opts: CallOptions = {}
  ): Promise<DbReply<unknown>> {
    const write = WRITE_OPS.has(op)
    if (!this.dealer) {
      // Nothing was sent: a write was not applied, and is simply sent again.
      return Promise.reject(unavailable('the database worker is not running', 'retry shortly'))
    }
    if (this.pending.size >= this.options.maxInFlight) {
      return Promise.reject(
        new HttpError('DB_BUSY', 'The node is overloaded; retry shortly', {
          headers: { 'retry-after': '1' },
        })
      )
    }
    const timeoutMs = opts.timeoutMs ?? this.options.timeoutMs
    const keyed = write && opts.key !== undefined
    const id = (++this.nextId).toString(36)
    const envelope: RequestEnvelope<O> = {
      v: PROTOCOL_VERSION,
      id,
      op,
      payload,
      deadline: Date.now() + timeoutMs,
      key: opts.key,
      actor: opts.actor,
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.settled(id)
        reject(
          new HttpError(
            'DB_TIMEOUT',
            `The database did not answer within ${timeoutMs} ms; ${write ? 'the outcome is unknown, ' : ''}${retry({ write, keyed })}`
          )
        )
      }, timeoutMs)
      this.pending.set(id, { resolve, reject, timer, write, keyed })
      this.outbox.push(envelope)
      if (this.sending || this.flushQueued) return
      // Wait for the rest of this turn of the event loop: the calls that other requests make in
      // it leave in the same frame, which costs ZeroMQ (and both processes) one message, not one each.
      this.flushQueued = true
      setImmediate(() => {
        this.flushQueued = false
        void this.flush()
      })
    })
  }

  // zeromq.js allows one send in progress per socket, so sends go out one after another; calls
  // made while one is in progress leave together in the next frame.
  private async flush(): Promise<void> {
    if (this.sending) return
    this.sending = true
    try {
      while (this.outbox.length > 0 && this.dealer) {
        const dealer = this.dealer
        const batch = this.outbox.splice(0, MAX_PER_FRAME)
        const frame = JSON.stringify(batch.length === 1 ? batch[0] : batch)
        try {
          await dealer.send(frame)
        } catch (err) {
          if (this.dealer === dealer)
            this.options.log.error({ err }, 'sending to the database worker failed')
        }
      }
    } finally {
      this.sending = false
    }
  }

  private async receive(dealer: Dealer): Promise<void> {
    try {
      for await (const [frame, ...texts] of dealer) this.settle(frame, texts)
    } catch (err) {
      if (this.dealer === dealer)
        this.options.log.error({ err }, 'receiving from the database worker failed')
    }
  }

  /** The replies' frame, and the texts of any FramedText among them (envelope.ts). */
  private settle(frame: Buffer, texts: Buffer[]): void {
    const replies = JSON.parse(frame.toString()) as ReplyEnvelope | ReplyEnvelope[] | Notice
    if (Array.isArray(replies)) for (const reply of replies) this.settleOne(reply, texts)
    else if ('notice' in replies) this.noticed(replies)
    else this.settleOne(replies, texts)
  }

  private noticed(notice: Notice): void {
    if (notice.notice !== 'events') return
    for (const listener of this.eventListeners) {
      try {
        listener(notice.head, notice.ledger, notice.outbox === true)
      } catch (err) {
        this.options.log.error({ err }, 'an events listener failed')
      }
    }
  }

  private settleOne(reply: ReplyEnvelope, texts: Buffer[]): void {
    const call = this.pending.get(reply.id)
    if (!call) return // its caller already timed out
    this.settled(reply.id)
    clearTimeout(call.timer)
    if (!reply.ok) {
      const err = errorFromCode(reply.error.code, reply.error.message, reply.error.details)
      if (reply.replayed) Object.assign(err, { replayed: true })
      return call.reject(err)
    }
    const replayed = reply.replayed === true
    const frame = reply.textFrame
    if (frame === undefined) return call.resolve({ data: reply.data, replayed })
    // A FramedText: the frame it names holds its text (a worker and a runtime of different
    // builds could disagree about that).
    const text = texts[frame - 1]
    if (!text) {
      const why = `The worker's reply names text frame ${String(frame)}, which did not come`
      return call.reject(errorFromCode('INTERNAL', why))
    }
    call.resolve({ data: { ...(reply.data as object), text }, replayed })
  }
}

/**
 * What a caller may do after a call that failed in flight: a read is asked again; a write is
 * retried with its key, or, sent without one, looked for first (a second one would be applied too).
 */
function retry({ write, keyed }: { write: boolean; keyed: boolean }): string {
  if (!write) return 'retry shortly'
  return keyed
    ? 'retry with the same Idempotency-Key'
    : 'look whether it was applied before sending it again (a write sent with an Idempotency-Key can simply be retried)'
}

function unavailable(reason: string, retry: string): HttpError {
  return new HttpError(
    'DB_UNAVAILABLE',
    `The database worker is unavailable (${reason}); ${retry}`,
    { headers: { 'retry-after': '1' } }
  )
}
