// The receives that wait on a queue (long polls), and the streams of topics, are told of a write
// that may have made a message visible the moment the worker answers it: a publish, a nack, an
// extension (it may shorten a delivery's visibility). A write whose outcome is unknown (the worker
// did not answer in time) may still commit after the caller gave up: they are told again once it
// must have, as the relay is (wake-relay.ts). Without that, a receive would wait out its waitMs
// and a topic's stream the next publish.
import type { OpName, Payload } from '../../db/contract/index.ts'
import type { QueueSignals } from '../queue-signals.ts'
import type { Db } from '../context.ts'
import { againIfLate } from './wake-relay.ts'

/** The writes that may make messages visible on the queue their payload names. */
const ON_A_QUEUE: ReadonlySet<OpName> = new Set(['queues.publish', 'queues.nack', 'queues.extend'])
/** …and on every queue a topic fills (its subscriptions'), whoever waits on one. */
const ON_TOPICS: ReadonlySet<OpName> = new Set(['topics.publish'])
/**
 * A receive moves the messages delivered too often to the queue's dead-letter queue first, in the
 * worker: it names that queue (`deadLettered`), whose waiting receives are woken, and the name
 * goes no further.
 */
const RECEIVING: ReadonlySet<OpName> = new Set(['queues.receive', 'queues.ackAndReceive'])

/**
 * A queue deleted: the receives waiting on it (and on its dead letters) are woken to find it
 * gone (404), rather than wait on, and take from a new queue made under the same name.
 */
const DELETING: ReadonlySet<OpName> = new Set(['queues.delete'])

/** Whether a publish makes messages visible as soon as it commits: some, none of them delayed. */
const visibleAtOnce = ({ messages }: Payload<'queues.publish'>) =>
  messages.length > 0 && messages.every((m) => !m.delayMs)

/** The database as a handler sees it, telling the waiting receives of every publish. */
export function wakingQueues(db: Db, queues: QueueSignals, lateWakesMs: number[]): Db {
  return {
    async send(op, payload, options) {
      if (RECEIVING.has(op)) {
        const { deadLettered, ...received } = (await db.send(op, payload, options)) as {
          deadLettered?: string
        }
        if (deadLettered !== undefined) queues.published(deadLettered)
        return received as never
      }
      if (DELETING.has(op)) {
        const deleted = await db.send(op, payload, options)
        const { name } = payload as { name: string }
        queues.published(name)
        queues.published(`${name}.dead`)
        return deleted
      }
      if (!ON_A_QUEUE.has(op) && !ON_TOPICS.has(op)) return db.send(op, payload, options)
      const queue = ON_A_QUEUE.has(op) ? (payload as { queue: string }).queue : undefined
      try {
        const sent = db.send(op, payload, options) // on its way to the worker, in this turn's frame
        if (op === 'queues.publish' && visibleAtOnce(payload as Payload<'queues.publish'>)) {
          queues.publishing(queue as string) // their takes follow it into its batch
        }
        const data = await sent
        queues.published(queue)
        return data
      } catch (err) {
        againIfLate(err, () => queues.published(queue), lateWakesMs)
        throw err
      }
    },
    async sendEach(op, calls, options) {
      const answers = await db.sendEach(op, calls, options)
      if (ON_A_QUEUE.has(op) || ON_TOPICS.has(op)) queues.published()
      return answers
    },
  }
}
