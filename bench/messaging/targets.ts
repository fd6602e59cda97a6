// The targets of the messaging part, behind one interface so that each workload is written once:
// almacen's queues over HTTP (undici, one keep-alive connection per publisher or consumer), and
// RabbitMQ (classic, quorum) and NATS JetStream through the anchor's own drivers
// (../shared/anchors/mom/lib), started and killed by the anchor's broker classes.
import { existsSync, readFileSync, renameSync } from 'node:fs'
import path from 'node:path'
import { Client } from 'undici'
import { startServer, type RunningServer } from '../server-process.ts'
import { tokenOf } from '../../tests/fixtures/tokens.ts'
import { ALMACEN } from '../verify-under-load.ts'
import type { Anchor } from './anchor.ts'

export interface Publisher {
  /** Resolves once the message is confirmed (almacen: 201, on disk). */
  send(body: Buffer, id?: string): Promise<void>
  /** Many messages, each confirmed (almacen: one request; a broker: all sent, then all confirms). */
  sendBatch(bodies: Buffer[], ids?: string[]): Promise<void>
  close(): Promise<void>
}

export interface Target {
  name: string
  /** Whether its confirm comes after an fsync (NATS 2.9 never syncs). */
  fsyncBeforeConfirm: boolean
  start(): Promise<number>
  open(): Promise<void>
  /** The process that writes the data: strace and RSS look at it (and its children). */
  storagePid(): number
  /** The whole server's process tree, for RSS. */
  pid(): number
  purge(): Promise<void>
  depth(): Promise<number>
  publisher(): Promise<Publisher>
  consume(prefetch: number, onBody: (body: Buffer) => void): Promise<{ close(): Promise<void> }>
  /** Reads and acknowledges everything in the queue. */
  readAll(): Promise<Buffer[]>
  kill9(): Promise<void>
  close(): Promise<void>
  stop(): Promise<void>
}

const QUEUE = 'bench'

interface Answer {
  status: number
  body: any // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** almacen: the node as `npm start` runs it, its queue `bench`, over HTTP/JSON. */
export class AlmacenTarget implements Target {
  name = 'almacen'
  fsyncBeforeConfirm = true
  server?: RunningServer
  clients = new Set<Client>()
  admin?: Client
  /** Whether a consumer acknowledges with an ack request of its own (else with its next receive). */
  acksApart = false
  constructor(readonly dir: string) {}

  async start() {
    // startServer reads the first URL its log names: a restart starts a fresh log.
    const log = path.join(this.dir, 'almacen.log')
    if (existsSync(log)) renameSync(log, path.join(this.dir, `almacen-${Date.now()}.log`))
    this.server = await startServer(ALMACEN, this.dir)
    return this.server.readyMs
  }

  pid() {
    return this.server?.pid as number
  }

  storagePid() {
    return Number(readFileSync(path.join(this.dir, 'almacen-worker.pid'), 'utf8').trim())
  }

  client(): Client {
    const c = new Client(this.server?.url as string, { pipelining: 1, keepAliveTimeout: 60_000 })
    this.clients.add(c)
    return c
  }

  async call(
    c: Client,
    method: 'GET' | 'POST' | 'DELETE',
    at: string,
    body?: unknown,
    signal?: AbortSignal
  ): Promise<Answer> {
    const headers: Record<string, string> = {
      authorization: `Bearer ${tokenOf(this.server?.url as string)}`,
    }
    if (method !== 'GET') headers['content-type'] = 'application/json'
    const reply = await c.request({
      method,
      path: at,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
    })
    const text = await reply.body.text()
    return { status: reply.statusCode, body: text ? JSON.parse(text) : null }
  }

  async open() {
    this.admin = this.client()
    const made = await this.call(this.admin, 'POST', '/queues', { name: QUEUE })
    if (made.status !== 201 && made.status !== 409) throw new Error(`POST /queues: ${made.status}`)
  }

  async purge() {
    const admin = this.admin as Client
    const gone = await this.call(admin, 'DELETE', `/queues/${QUEUE}`)
    if (gone.status !== 200)
      throw new Error(`DELETE /queues/${QUEUE}: ${gone.status} ${JSON.stringify(gone.body)}`)
    const made = await this.call(admin, 'POST', '/queues', { name: QUEUE })
    if (made.status !== 201)
      throw new Error(`POST /queues: ${made.status} ${JSON.stringify(made.body)}`)
  }

  async depth() {
    const q = await this.call(this.admin as Client, 'GET', `/queues/${QUEUE}`)
    return q.body.ready as number
  }

  async publisher(): Promise<Publisher> {
    const c = this.client()
    const one = (body: Buffer, id?: string) => ({ id, body: body.toString('base64') })
    return {
      send: async (body, id) => {
        const r = await this.call(c, 'POST', `/queues/${QUEUE}/messages`, one(body, id))
        if (r.status !== 201) throw new Error(`publish: ${r.status}`)
      },
      sendBatch: async (bodies, ids) => {
        const messages = bodies.map((b, i) => one(b, ids?.[i]))
        const r = await this.call(c, 'POST', `/queues/${QUEUE}/messages/batch`, { messages })
        if (r.status !== 200) throw new Error(`batch publish: ${r.status}`)
      },
      close: async () => this.drop(c),
    }
  }

  /**
   * receive max = prefetch. What came is acknowledged by the next receive (`ack`: one request,
   * one commit), which answers at once; with nothing to acknowledge, a receive is a long poll of
   * up to 20 s. With acksApart, each batch is acknowledged by an ack request of its own, awaited
   * before the next receive.
   */
  async consume(prefetch: number, onBody: (body: Buffer) => void) {
    const c = this.client()
    const acks = this.client()
    const stopped = new AbortController()
    let held: string[] = []
    const loop = (async () => {
      while (!stopped.signal.aborted) {
        const body =
          held.length > 0 ? { max: prefetch, ack: held } : { max: prefetch, waitMs: 20_000 }
        const got = await this.call(
          c,
          'POST',
          `/queues/${QUEUE}/receive`,
          body,
          stopped.signal
        ).catch(() => null)
        if (!got || got.status !== 200) break
        held = []
        const messages = got.body.messages as { body: string; receipt: string }[]
        if (messages.length === 0) continue
        for (const m of messages) onBody(Buffer.from(m.body, 'base64'))
        const receipts = messages.map((m) => m.receipt)
        if (this.acksApart) await this.call(acks, 'POST', `/queues/${QUEUE}/ack`, { receipts })
        else held = receipts
      }
    })()
    return {
      close: async () => {
        stopped.abort()
        await loop
        if (held.length > 0)
          await this.call(acks, 'POST', `/queues/${QUEUE}/ack`, { receipts: held })
        await this.drop(c)
        await this.drop(acks)
      },
    }
  }

  async readAll() {
    const bodies: Buffer[] = []
    const c = this.client()
    for (;;) {
      const got = await this.call(c, 'POST', `/queues/${QUEUE}/receive`, { max: 100 })
      const messages = got.body.messages as { body: string; receipt: string }[]
      if (messages.length === 0) break
      for (const m of messages) bodies.push(Buffer.from(m.body, 'base64'))
      await this.call(c, 'POST', `/queues/${QUEUE}/ack`, {
        receipts: messages.map((m) => m.receipt),
      })
    }
    await this.drop(c)
    return bodies
  }

  async kill9() {
    const worker = this.storagePid()
    const runtime = this.pid()
    for (const pid of [runtime, worker]) {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        // gone already
      }
    }
    await this.server?.stop() // resolves once the runtime has exited
    await this.close()
  }

  async drop(c: Client) {
    this.clients.delete(c)
    await c.destroy().catch(() => {})
  }

  async close() {
    for (const c of [...this.clients]) await this.drop(c)
  }

  async stop() {
    await this.close()
    await this.server?.stop()
  }
}

/** RabbitMQ or NATS JetStream, through the anchor's broker and driver objects. */
export class BrokerTarget implements Target {
  fsyncBeforeConfirm: boolean
  constructor(
    readonly name: string,
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    readonly broker: any,
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    readonly driver: any,
    readonly anchor: Anchor
  ) {
    this.fsyncBeforeConfirm = broker.kind !== 'nats'
  }

  start(): Promise<number> {
    return this.broker.start()
  }

  open(): Promise<void> {
    return this.driver.open()
  }

  pid(): number {
    return this.broker.pid
  }

  storagePid(): number {
    return this.broker.pid
  }

  purge(): Promise<void> {
    return this.driver.purge()
  }

  depth(): Promise<number> {
    return this.driver.depth()
  }

  async publisher(): Promise<Publisher> {
    if (this.broker.kind === 'nats') {
      // Our own publish, so that a message sent again carries the same Nats-Msg-Id.
      const nc = await this.driver.conn()
      const js = nc.jetstream()
      const send = async (body: Buffer, id?: string) => {
        await js.publish(this.driver.subject, body, { timeout: 5000, ...(id ? { msgID: id } : {}) })
      }
      return {
        send,
        sendBatch: async (bodies, ids) => {
          await Promise.all(bodies.map((b, i) => send(b, ids?.[i])))
        },
        close: async () => nc.close().catch(() => {}),
      }
    }
    const p = await this.driver.publisher() // RabbitMQ has no de-duplication by message id
    return {
      send: (body) => p.send(body),
      sendBatch: async (bodies) => {
        await Promise.all(bodies.map((b) => p.send(b)))
      },
      close: () => p.close(),
    }
  }

  consume(prefetch: number, onBody: (body: Buffer) => void) {
    return this.driver.consume(prefetch, onBody)
  }

  async readAll(): Promise<Buffer[]> {
    return (await this.driver.readAll()).bodies
  }

  async kill9() {
    await this.broker.kill9()
    await this.driver.close()
  }

  close(): Promise<void> {
    return this.driver.close()
  }

  async stop() {
    await this.driver.close()
  }
}
