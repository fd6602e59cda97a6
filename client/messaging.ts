// A small client for the queues and topics of almacen nodes, for the company's other systems (an
// ERP, a label printer): publish, receive with ack, subscribe. It takes the URLs of several nodes
// (each with its own token: each warehouse issues its own) and moves to the next, round robin,
// when one does not answer. A message's id is made once, here,
// and sent again with every retry, so a publish whose answer was lost is taken once by the node
// that took it. (A retry that goes to another node lands in that node's queue: ids are kept per
// node. Federate the topic to have one copy reach the other warehouses.)
//
//   const messaging = new Messaging({ nodes: [{ url: 'https://madrid:8080', token: t1 }, …] })
//   await messaging.publish('orders', { body: { order: 1042 } })
//   const stop = messaging.subscribe('erp-stock', async (m) => { … })   // acked when it resolves
import { randomUUID } from 'node:crypto'
import type { DeliveredMessage, PublishedMessage } from '../api/index.ts'
import { createApi, type Api } from './api.ts'
import { NodeUnreachable } from './errors.ts'

export interface MessagingOptions {
  /**
   * The nodes, in the order they are tried, each with an API token it issued (an operator's, or
   * one granted on the queues used).
   */
  nodes: { url: string; token?: string }[]
  /** A company CA (PEM) for nodes over HTTPS. */
  ca?: string
  /** How long one node has to answer before the next is tried (long polls get their wait on top). */
  timeoutMs?: number
}

export interface Outgoing {
  body: unknown
  /** Made here when not given, and kept for every retry. */
  id?: string
  headers?: Record<string, string>
  delayMs?: number
  ttlMs?: number
}

export interface Published extends PublishedMessage {
  /** The node that took it. */
  node: string
}

export interface Delivery extends DeliveredMessage {
  /** The node that delivered it: its receipt means something there only. */
  node: string
}

export class Messaging {
  private readonly apis: Api[]
  private at = 0

  constructor(private readonly options: MessagingOptions) {
    if (options.nodes.length === 0) throw new Error('Messaging needs at least one node')
    this.apis = options.nodes.map((_, index) => this.api(index, options.timeoutMs ?? 5000))
  }

  /** Publishes to a queue: on disk at the node that answers 201. */
  publish(queue: string, message: Outgoing): Promise<Published> {
    return this.publishTo(`/queues/${encodeURIComponent(queue)}/messages`, message)
  }

  /** Publishes to a topic (and so to its subscriptions, and the peers it is federated to). */
  publishTopic(topic: string, message: Outgoing): Promise<Published> {
    return this.publishTo(`/topics/${encodeURIComponent(topic)}/messages`, message)
  }

  /** Up to `max` messages, waiting up to `waitMs` for one, from the first node that answers. */
  receive(
    queue: string,
    {
      max = 10,
      waitMs = 0,
      visibilityMs,
    }: { max?: number; waitMs?: number; visibilityMs?: number } = {}
  ): Promise<Delivery[]> {
    const path = `/queues/${encodeURIComponent(queue)}/receive`
    return this.failover(waitMs, async (api) => {
      const body = { max, waitMs, ...(visibilityMs !== undefined && { visibilityMs }) }
      const { messages } = await api.post<{ messages: DeliveredMessage[] }>(path, body, null)
      return messages.map((m) => ({ ...m, node: api.url }))
    })
  }

  /** Acknowledges deliveries, each at the node that made it; what no longer held is named. */
  async ack(queue: string, deliveries: Delivery[]): Promise<{ receipt: string; ok: boolean }[]> {
    return this.byNode(queue, deliveries, 'ack', {})
  }

  /** Gives deliveries back, visible again after `delayMs`. */
  async nack(queue: string, deliveries: Delivery[], delayMs = 0) {
    return this.byNode(queue, deliveries, 'nack', { delayMs })
  }

  /**
   * Takes messages from a queue (a subscription's, say) as they come, one handler call each: a
   * handler that resolves acknowledges it, one that throws gives it back (to come again after
   * `retryMs`). Returns the function that stops it; a node that does not answer is moved past.
   * A node's refusal (the queue deleted, the token revoked or its grant withdrawn) ends it: never
   * as an unhandled rejection that would end the program, but through `onEnd`, called once with
   * the refusal (without one, a process warning says it), and the stop function, which then
   * rejects with it.
   */
  subscribe(
    queue: string,
    handler: (message: Delivery) => Promise<void> | void,
    {
      max = 10,
      waitMs = 20_000,
      retryMs = 1000,
      onEnd,
    }: {
      max?: number
      waitMs?: number
      retryMs?: number
      onEnd?: (refusal: Error) => void
    } = {}
  ): () => Promise<void> {
    let stopped = false
    const running = (async () => {
      while (!stopped) {
        let got: Delivery[]
        try {
          got = await this.receive(queue, { max, waitMs })
        } catch (err) {
          if (!(err instanceof NodeUnreachable)) throw err
          await new Promise((resolve) => setTimeout(resolve, retryMs))
          continue
        }
        for (const message of got) {
          try {
            await handler(message)
          } catch {
            await this.nack(queue, [message], retryMs).catch(() => undefined)
            continue
          }
          // Handled: never given back. An ack that gets no answer may have been applied; if it
          // was not, the message comes again once its visibility timeout passes, as it would
          // have had this consumer stopped here. A refusal ends the subscription, as a receive's.
          await this.ack(queue, [message]).catch((err) => {
            if (!(err instanceof NodeUnreachable)) throw err
          })
        }
      }
    })()
    // Handled here, so that a refusal nobody stops for does not end the process; but never
    // silent: without onEnd (or with one that throws) it is a process warning on stderr.
    running.catch((err: Error) => {
      try {
        if (onEnd) return onEnd(err)
      } catch (thrown) {
        process.emitWarning(`almacen: the onEnd of a subscription to ${queue} threw: ${thrown}`)
      }
      process.emitWarning(`almacen: the subscription to ${queue} ended: ${err.message}`)
    })
    return async () => {
      stopped = true
      await running
    }
  }

  private async publishTo(path: string, message: Outgoing): Promise<Published> {
    const sent = { ...message, id: message.id ?? randomUUID() }
    return this.failover(0, async (api) => {
      const result = await api.post<PublishedMessage>(path, sent, null)
      return { ...result, node: api.url }
    })
  }

  private async byNode(
    queue: string,
    deliveries: Delivery[],
    verb: 'ack' | 'nack',
    extra: Record<string, unknown>
  ) {
    const results: { receipt: string; ok: boolean }[] = []
    for (const url of new Set(deliveries.map((d) => d.node))) {
      const receipts = deliveries.filter((d) => d.node === url).map((d) => d.receipt)
      // A delivery names its node as the client's Api wrote it (no trailing slash).
      const api = this.apis.find((a) => a.url === url)
      if (!api) throw new Error(`A delivery names ${url}, which is not among this client's nodes`)
      const path = `/queues/${encodeURIComponent(queue)}/${verb}`
      const answer = await api.post<{ results: typeof results }>(path, { receipts, ...extra }, null)
      results.push(...answer.results)
    }
    return results
  }

  /** `call` on the current node, and on the next (round robin) each time one does not answer. */
  private async failover<T>(extraMs: number, call: (api: Api) => Promise<T>): Promise<T> {
    let last: unknown
    for (let tried = 0; tried < this.apis.length; tried++) {
      const api = this.apis[this.at]
      try {
        return await (extraMs > 0 ? this.withWait(this.at, extraMs, call) : call(api))
      } catch (err) {
        if (!(err instanceof NodeUnreachable)) throw err // a refusal is the node's word: not retried
        last = err
        this.at = (this.at + 1) % this.apis.length
      }
    }
    throw last
  }

  /** `call` on the node at `index` with `extraMs` more to answer in (a long poll's wait). */
  private withWait<T>(index: number, extraMs: number, call: (api: Api) => Promise<T>): Promise<T> {
    return call(this.api(index, (this.options.timeoutMs ?? 5000) + extraMs))
  }

  /** The node at `index` of the options, with its own token. */
  private api(index: number, timeoutMs: number): Api {
    const { url, token } = this.options.nodes[index]
    return createApi({ url, token, ca: this.options.ca, timeoutMs, attempts: 1 })
  }
}
