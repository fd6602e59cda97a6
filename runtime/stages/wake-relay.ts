// The relay is told of a commit that may have put a message in the outbox the moment the worker
// answers (it never polls): after every transfer write, with the peer when the write names it.
// A write whose outcome is unknown (the worker did not answer in time) may still commit after
// the caller gave up: the relay is told again once it must have. A worker that died mid-write is
// covered by the wake its restart makes (runtime/node.ts).
import type { OpName } from '../../db/contract/index.ts'
import type { RelayApi } from '../../network/index.ts'
import type { Db } from '../context.ts'

/**
 * The writes that may put messages in the outbox: each transfer step, the inbox's answers, and a
 * publish to a topic (federation).
 */
const ENQUEUING: ReadonlySet<OpName> = new Set([
  'transfers.create',
  'transfers.receive',
  'transfers.reject',
  'transfers.cancel',
  'transfers.return',
  'transfers.inbox',
  'transfers.inboxV2',
  // A message on a federated topic: its trigger puts a row per peer in the outbox.
  'topics.publish',
])

/** After a timed-out write: when to tell the relay again (the worker finishes its batch first). */
export const LATE_COMMIT_WAKES_MS = [1000, 10_000]

/**
 * When `err` says the worker did not answer in time (the write may still commit), runs `again`
 * at each of `lateWakesMs`, once it must have.
 */
export function againIfLate(err: unknown, again: () => void, lateWakesMs: number[]): void {
  if ((err as { code?: unknown }).code !== 'DB_TIMEOUT') return
  for (const ms of lateWakesMs) setTimeout(again, ms).unref()
}

const text = (value: unknown) => (typeof value === 'string' ? value : undefined)

/** The peer a transfer write concerns: the inbox's sender, the transfer's other side. */
function peerOf(op: OpName, payload: unknown, data?: unknown): string | undefined {
  const sent = payload as { from?: unknown; to?: unknown }
  if (op === 'transfers.inbox' || op === 'transfers.inboxV2') return text(sent.from)
  return text((data as { peer?: unknown } | undefined)?.peer) ?? text(sent.to)
}

/** The database as a handler sees it, telling `relay` of every transfer write. */
export function wakingRelay(db: Db, relay: RelayApi, lateWakesMs = LATE_COMMIT_WAKES_MS): Db {
  return {
    async send(op, payload, options) {
      if (!ENQUEUING.has(op)) return db.send(op, payload, options)
      try {
        const data = await db.send(op, payload, options)
        // The inbox says whether it put answers in the outbox; most batches put none.
        if ((data as { enqueued?: unknown } | undefined)?.enqueued !== false) {
          relay.wake(peerOf(op, payload, data))
        }
        return data
      } catch (err) {
        againIfLate(err, () => relay.wake(peerOf(op, payload)), lateWakesMs)
        throw err
      }
    },
    async sendEach(op, calls, options) {
      const answers = await db.sendEach(op, calls, options)
      if (ENQUEUING.has(op)) relay.wake()
      return answers
    },
  }
}
