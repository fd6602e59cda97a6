// The worker's work, apart from its process: open the database as a worker must before it serves,
// and the loop that executes what arrives on a Router socket in batches (db/batch.ts). The worker
// process (db/worker.ts) runs them; tests run them in their own process, on the same socket.
import knexFactory, { type Knex } from 'knex'
import type { Logger } from 'pino'
import { Router } from 'zeromq'
import { runBatch } from './batch.ts'
import { FramedText, PROTOCOL_VERSION, type Notice, type ReplyEnvelope } from './contract/index.ts'
import { grownPosition, takeOutboxGrew } from './events/log.ts'
import { forgetCompiled } from './sql.ts'
import { knexConfig } from './knex-config.ts'
import { checkLedgerAtStart } from './ledger/start-check.ts'
import { DiskProbe, type ProbeRoom } from './disk-probe.ts'
import { askRestoreOnFirstOpen, dropVoidRestoreAsk } from './ledger/restore.ts'
import { ensureIdentity, type Identity } from './operations/node.ts'

/**
 * Opens the database at `filename` (a path, or ':memory:') for serving: migrated, with the node's
 * identity, and its ledger checked (a head or balances that do not check out halt writes).
 */
export async function openDatabase(
  filename: string,
  name: string | undefined,
  log: Logger,
  { restore = false }: { restore?: boolean } = {}
): Promise<{ knex: Knex; identity: Identity }> {
  const knex = knexFactory(knexConfig(filename))
  try {
    const [, applied] = await knex.migrate.latest()
    if (applied.length > 0) log.info({ migrations: applied }, 'database migrated')
    await dropVoidRestoreAsk(knex, log)
    if (restore) await askRestoreOnFirstOpen(knex)
    const identity = await ensureIdentity(knex, name)
    // Before serving: a ledger whose head or balances do not check out halts writes (reads go on).
    await checkLedgerAtStart(knex, log)
    return { knex, identity }
  } catch (err) {
    await knex.destroy()
    throw err
  }
}

/**
 * How long the worker goes without an envelope before it gives back what SQLite keeps for speed
 * (its compiled statements, its page cache); the first requests after compile theirs again.
 * Measured after the messaging bench's workloads, with a full collection of V8's heap after it in
 * both runs: the worker's RSS stayed 16.6 MiB above its idle start without this, 10.9 with.
 */
export const REST_AFTER_MS = 10_000

/** How the loop rests and probes; the defaults are the worker's (tests shorten them). */
export interface LoopTiming {
  restAfterMs?: number
  /** While writes fail for want of space: the probe's beat (db/disk-probe.ts), and the probe. */
  diskProbeMs?: number
  probeRoom?: ProbeRoom
}

/** Binds the worker's Router socket at `endpoint` and serves the database on it. */
export async function serve(
  endpoint: string,
  knex: Knex,
  log: Logger,
  timing: LoopTiming = {}
): Promise<WorkerLoop> {
  // sendTimeout: a reply to a runtime that is gone must fail, not wait for a peer that will
  // never read it (that would hold the batch, and the database, forever).
  const router = new Router({ mandatory: true, linger: 0, sendTimeout: 5000 })
  await router.bind(endpoint)
  const loop = new WorkerLoop(router, knex, log, timing)
  void loop.receive()
  return loop
}

/** Most envelopes executed in one transaction; beyond it the rest wait for the next commit. */
const MAX_BATCH = 256

/** The socket loop: queue what arrives, execute the queue in batches, send each reply back. */
export class WorkerLoop {
  private readonly queue: [Buffer, unknown][] = []
  private draining: Promise<void> | null = null
  private stopped = false
  /** False once the runtime is gone: nobody is left to read a reply. */
  private delivering = true
  /** Every runtime heard from (its Dealer's identity), to tell when the event log grows. */
  private readonly runtimes = new Map<string, Buffer>()
  /** The last head of the event log told to the runtimes. */
  private noticed = 0
  private resting: NodeJS.Timeout | undefined
  private readonly restAfterMs: number
  /** While writes fail for want of space: when to probe for room. */
  private readonly probe: DiskProbe

  constructor(
    private readonly router: Router,
    private readonly knex: Knex,
    private readonly log: Logger,
    timing: LoopTiming = {}
  ) {
    this.restAfterMs = timing.restAfterMs ?? REST_AFTER_MS
    const hold = (work: () => Promise<void>) => this.holdLoop(work)
    this.probe = new DiskProbe(knex, log, hold, timing.diskProbeMs, timing.probeRoom)
  }

  async receive(): Promise<void> {
    try {
      for await (const [sender, frame] of this.router) {
        if (this.stopped) continue // its caller gets 503 when this process exits
        this.runtimes.set(sender.toString('latin1'), sender)
        for (const envelope of unpack(frame)) this.queue.push([sender, envelope])
        this.draining ??= this.drained()
      }
    } catch (err) {
      if (!this.stopped) this.log.error({ err }, 'receive loop failed')
    }
  }

  /** Drains the queue; then, once idle for restAfterMs, rests. */
  private drained(): Promise<void> {
    clearTimeout(this.resting)
    return this.drain().then(
      () => {
        clearTimeout(this.resting)
        this.resting = setTimeout(() => this.rest(), this.restAfterMs)
        this.resting.unref()
        this.probe.whenFree()
      },
      (err) => {
        // A fault outside any operation: exit and let the runtime start a fresh worker.
        this.log.fatal({ err }, 'worker loop failed')
        process.exit(1)
      }
    )
  }

  /**
   * Gives back what SQLite keeps for speed, while nothing is asked: it holds the loop as a batch
   * does (what arrives meanwhile waits, and is drained after it).
   */
  private rest(): void {
    this.holdLoop(async () => {
      try {
        const statements = await forgetCompiled(this.knex)
        await this.knex.raw('PRAGMA shrink_memory')
        this.log.debug({ statements }, 'idle: compiled statements and page cache given back')
      } catch (err) {
        this.log.warn({ err }, 'idle: memory could not be given back')
      }
    })
  }

  /**
   * Runs `work` (which must not throw) holding the loop as a batch does: what arrives meanwhile
   * waits, and is drained after it. Not while a batch or other work holds it, nor once stopped.
   */
  private holdLoop(work: () => Promise<void>): void {
    if (this.draining || this.stopped) return
    this.draining = (async () => {
      await work()
      this.draining = null
      if (this.queue.length > 0 && !this.stopped) this.draining = this.drained()
      else this.probe.whenFree()
    })()
  }

  private async drain(): Promise<void> {
    // Let the messages already in the socket arrive, so they share this commit.
    await new Promise((resolve) => setImmediate(resolve))
    while (this.queue.length > 0 && !this.stopped) {
      const batch = this.queue.splice(0, MAX_BATCH)
      const replies = await runBatch(
        this.knex,
        batch.map(([, envelope]) => envelope),
        { log: this.log }
      )
      // One frame per sender for the whole batch, as the runtime sends them.
      const bySender = new Map<string, { sender: Buffer; replies: ReplyEnvelope[] }>()
      batch.forEach(([sender], i) => {
        const key = sender.toString('latin1')
        let entry = bySender.get(key)
        if (!entry) bySender.set(key, (entry = { sender, replies: [] }))
        entry.replies.push(replies[i])
      })
      for (const { sender, replies: out } of bySender.values()) {
        if (!this.delivering) break
        try {
          await this.router.send([sender, ...framesOf(out)])
        } catch (err) {
          // mandatory: the runtime that asked is gone (it restarted); its caller saw a 503.
          if (this.delivering) {
            this.log.warn({ err, ids: out.map((r) => r.id) }, 'replies could not be delivered')
          }
        }
      }
      await this.notice()
      if (this.queue.length > 0 && !this.stopped) await this.probe.between()
    }
    this.draining = null
  }

  /**
   * After a batch that appended events (it has committed): tells every runtime the log's new
   * head, unasked, so that nothing has to poll it. A runtime that is gone is forgotten.
   */
  private async notice(): Promise<void> {
    const position = await grownPosition(this.knex).catch((err: unknown) => {
      this.log.warn({ err }, 'the event log head could not be read')
      return null
    })
    if (position === null || position.head <= this.noticed || !this.delivering) return
    const { head, ledger } = position
    this.noticed = head
    const outbox = takeOutboxGrew(this.knex)
    const notice: Notice = {
      v: PROTOCOL_VERSION,
      notice: 'events',
      head,
      ledger,
      ...(outbox && { outbox }),
    }
    const frame = JSON.stringify(notice)
    for (const [identity, runtime] of this.runtimes) {
      try {
        await this.router.send([runtime, frame])
      } catch {
        this.runtimes.delete(identity) // mandatory: a runtime that restarted is unreachable
      }
    }
  }

  /**
   * Stops taking envelopes and waits for the batch in progress to commit and be answered; with
   * the runtime gone, only to commit (a reply to nobody would wait out sendTimeout).
   */
  async stop(runtimeGone: boolean): Promise<void> {
    this.stopped = true
    clearTimeout(this.resting)
    this.probe.stop()
    this.queue.length = 0
    if (runtimeGone) {
      this.delivering = false
      this.router.close() // a send in progress fails at once
    }
    await this.draining
    if (!this.router.closed) this.router.close()
  }
}

/**
 * The frames of a sender's replies: the replies' (one, or an array), then the text of each
 * FramedText among them as it is, each reply naming its frame.
 */
export function framesOf(replies: ReplyEnvelope[]): string[] {
  const texts: string[] = []
  const wire = replies.map((reply) => {
    if (!reply.ok || !(reply.data instanceof FramedText)) return reply
    texts.push(reply.data.text)
    return { ...reply, data: { events: reply.data.events }, textFrame: texts.length }
  })
  return [JSON.stringify(wire.length === 1 ? wire[0] : wire), ...texts]
}

/** A frame holds one envelope or an array of them; one that does not parse is refused alone. */
function unpack(frame: Buffer): unknown[] {
  try {
    const value = JSON.parse(frame.toString())
    return Array.isArray(value) ? value : [value]
  } catch {
    return [null]
  }
}
