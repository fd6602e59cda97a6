import type { z } from 'zod'
import type { Clock } from '../clock.ts'
import {
  ANY_RECEIVER,
  ANY_RECEIVER_PATHS,
  failure,
  ProtocolError,
  refusedWith,
  Watchers,
  type ExchangeKind,
  type PeerCall,
  type PeerOutcome,
  type Transport,
  type TransportEvents,
} from './transport.ts'

// memberlist's mock_transport.go, for exchanges: N transports wired to each other in one process,
// on a clock the test moves, with the faults a real network has. Tests of the protocols run on
// it, with no socket and no real time.

/** What answers at an address: a node's receiving side (its peer routes), once it listens. */
export type Receiver = (kind: ExchangeKind, sender: string, message: unknown) => Promise<unknown>

/** Faults on the way from one address to another. */
export interface LinkFaults {
  /** Chance that a message is lost (0 to 1). */
  drop?: number
  /** Chance that a message arrives twice (0 to 1). */
  duplicate?: number
  /** How long a message takes (default: the network's latency). */
  delayMs?: number
}

/** What came back to a caller, before the caller judges it. */
type Reply =
  | { kind: 'refused' }
  | { kind: 'unsigned'; code: string }
  | { kind: 'answer'; responder: string; json: string }
  | { kind: 'refusal'; responder: string; code: string; message: string; details?: unknown }

interface Host {
  id: string
  address: string
  cluster: string
  transport: MockTransport
  receiver?: Receiver
  up: boolean
  frozen: boolean
  /** What reached it while frozen, delivered when it thaws. */
  held: (() => void)[]
}

/** One message as it went: how many copies arrived (0: lost, 2: duplicated). */
export interface Traffic {
  from: string
  to: string
  path: string
  leg: 'request' | 'answer'
  copies: number
}

export interface MockNetworkOptions {
  clock: Clock
  /** Where the faults' chances come from; seeded in tests. */
  random?: () => number
  /** How long any message takes, one way, unless a link says otherwise (ms). */
  latencyMs?: number
}

const link = (from: string, to: string) => `${from}>${to}`

export class MockNetwork {
  private readonly hosts = new Map<string, Host>()
  private readonly cuts = new Set<string>()
  private readonly faults = new Map<string, LinkFaults>()
  private readonly clock: Clock
  private readonly random: () => number
  /** Every message sent, in order. */
  readonly traffic: Traffic[] = []

  constructor(private readonly options: MockNetworkOptions) {
    this.clock = options.clock
    this.random = options.random ?? Math.random
  }

  /**
   * Plugs a node in: a transport for `id` at `address`, its calls timed on `clock` (its process's
   * clock; the network's by default). A crashed node's address can be taken again: its restart.
   * `cluster` stands for the cluster key: a node with another one cannot sign for this one.
   */
  transport(
    id: string,
    address: string,
    options: { clock?: Clock; cluster?: string; canTalk?: boolean } = {}
  ): MockTransport {
    if (this.hosts.get(address)?.up) throw new Error(`${address} is taken`)
    const transport = new MockTransport(
      this,
      id,
      address,
      options.clock ?? this.clock,
      options.canTalk ?? true
    )
    const cluster = options.cluster ?? 'cluster'
    this.hosts.set(address, { id, address, cluster, transport, up: true, frozen: false, held: [] })
    return transport
  }

  /** From now on `receiver` answers what is sent to `address`. */
  listen(address: string, receiver: Receiver): void {
    this.host(address).receiver = receiver
  }

  /**
   * The process at `address` dies (kill -9): nothing listens there any more, so calls to it are
   * refused; the kernel closes its connections, and each node that had one hears of it (unless
   * `quietly`: none was open, and only the next call finds out).
   */
  crash(address: string, { quietly = false }: { quietly?: boolean } = {}): void {
    const host = this.host(address)
    host.up = false
    host.held = []
    host.transport.dead = true
    if (quietly) return
    for (const other of this.hosts.values()) {
      if (other === host || !other.up) continue
      const theirs = other.transport.connections.delete(address)
      const ours = host.transport.connections.has(other.address)
      const ms = this.delay(address, other.address)
      if (theirs) this.after(ms, other.address, () => other.transport.lost({ address }))
      if (ours) this.after(ms, other.address, () => other.transport.lost({ id: host.id }))
    }
  }

  /** The process at `address` stops (SIGSTOP): what reaches it waits, and it sends nothing. */
  freeze(address: string): void {
    this.host(address).frozen = true
  }

  /** It runs again: what reached it meanwhile is delivered, in order. */
  thaw(address: string): void {
    const host = this.host(address)
    host.frozen = false
    for (const deliver of host.held.splice(0)) deliver()
  }

  /** Messages from `from` to `to` are lost (and back, with `both`): a partition, or half of one. */
  cut(from: string, to: string, { both = false }: { both?: boolean } = {}): void {
    this.cuts.add(link(from, to))
    if (both) this.cuts.add(link(to, from))
  }

  /** Every cut is mended. */
  heal(): void {
    this.cuts.clear()
  }

  /** Faults on every link, or on the one from `from` to `to`; {} clears them. */
  setFaults(faults: LinkFaults, between?: { from: string; to: string }): void {
    this.faults.set(between ? link(between.from, between.to) : '*', faults)
  }

  /** Carries a call to its receiver, and what comes back to `reply`. */
  send(from: MockTransport, call: PeerCall<ExchangeKind>, reply: (r: Reply) => void): void {
    const sender = this.hosts.get(from.address)
    if (sender?.frozen) return void sender.held.push(() => this.send(from, call, reply))
    const body = JSON.stringify(call.body)
    const { path } = call.kind
    const back = (r: Reply) =>
      this.carry(call.address, from.address, path, 'answer', () => from.dead || reply(r))
    this.carry(from.address, call.address, path, 'request', () =>
      this.arrive(from, call, body, back)
    )
  }

  private arrive(
    from: MockTransport,
    call: PeerCall<ExchangeKind>,
    body: string,
    back: (r: Reply) => void
  ): void {
    const host = this.hosts.get(call.address)
    if (!host?.up || !host.receiver) return back({ kind: 'refused' })
    const refusal = (code: string, message: string, details?: unknown): Reply => ({
      kind: 'refusal',
      responder: host.id,
      code,
      message,
      details,
    })
    // The checks a node's peer routes make (network/transport/peer-auth.ts), in their order.
    if (this.hosts.get(from.address)?.cluster !== host.cluster) {
      return back({ kind: 'unsigned', code: 'UNAUTHENTICATED' })
    }
    const path = call.kind.path
    if (call.to !== host.id && !(call.to === ANY_RECEIVER && ANY_RECEIVER_PATHS.has(path))) {
      return back(
        refusal('WRONG_NODE', `This is node ${host.id}; the request was signed for ${call.to}`)
      )
    }
    const message = call.kind.message.safeParse(JSON.parse(body))
    if (!message.success) return back(refusal('VALIDATION_FAILED', message.error.message))
    host.receiver(call.kind, from.id, message.data).then(
      (answer) => {
        if (!host.up) return back({ kind: 'refused' }) // it died before answering
        back({ kind: 'answer', responder: host.id, json: JSON.stringify(answer) })
      },
      (err) => {
        if (!host.up) return back({ kind: 'refused' })
        if (err instanceof ProtocolError) back(refusal(err.code, err.message, err.details))
        else back(refusal('INTERNAL', 'Internal error'))
      }
    )
  }

  // One leg of an exchange: lost on a cut link or by chance, else delivered once (or twice) after
  // the link's delay; to a frozen process, held until it thaws.
  private carry(
    from: string,
    to: string,
    path: string,
    leg: Traffic['leg'],
    deliver: () => void
  ): void {
    const faults = this.faults.get(link(from, to)) ?? this.faults.get('*') ?? {}
    let copies = 0
    if (!this.cuts.has(link(from, to)) && !(faults.drop && this.random() < faults.drop)) {
      copies = faults.duplicate && this.random() < faults.duplicate ? 2 : 1
    }
    this.traffic.push({ from, to, path, leg, copies })
    for (let i = 0; i < copies; i++) this.after(this.delay(from, to), to, deliver)
  }

  /** Runs `run` at `to` in `ms`, or when it thaws if it is frozen by then. */
  private after(ms: number, to: string, run: () => void): void {
    this.clock.setTimeout(() => {
      const host = this.hosts.get(to)
      if (host?.frozen) host.held.push(run)
      else run()
    }, ms)
  }

  private delay(from: string, to: string): number {
    const faults = this.faults.get(link(from, to)) ?? this.faults.get('*')
    return faults?.delayMs ?? this.options.latencyMs ?? 1
  }

  private host(address: string): Host {
    const host = this.hosts.get(address)
    if (!host) throw new Error(`nothing was plugged in at ${address}`)
    return host
  }
}

/** One node's end of a MockNetwork. */
export class MockTransport implements Transport {
  /** Addresses it has exchanged with: kept connections, whose loss it hears of. */
  readonly connections = new Set<string>()
  /** Its process was killed: it sends nothing, and hears nothing back. */
  dead = false
  private readonly watchers = new Watchers()

  constructor(
    private readonly net: MockNetwork,
    readonly id: string,
    readonly address: string,
    private readonly clock: Clock,
    readonly canTalk: boolean
  ) {}

  watch(events: TransportEvents): () => void {
    return this.watchers.add(events)
  }

  /** A connection closed from the other side (MockNetwork.crash). */
  lost(peer: { id?: string; address?: string }): void {
    if (!this.dead) this.watchers.lost(peer)
  }

  call<K extends ExchangeKind>(call: PeerCall<K>): Promise<PeerOutcome<z.output<K['answer']>>> {
    // A dead process makes no calls: whatever waits on this waits for ever, as it would.
    if (this.dead) return new Promise(() => undefined)
    if (!this.canTalk)
      return Promise.resolve(
        this.ended(call, failure('unauthorized', 'no cluster key', this.clock.now()))
      )
    const sentAt = this.clock.now()
    return new Promise((resolve) => {
      let done = false
      const end = (outcome: PeerOutcome<z.output<K['answer']>>) => {
        if (done) return // a duplicate, or an answer after the timeout
        done = true
        this.clock.clearTimeout(timer)
        resolve(this.ended(call, outcome))
      }
      const timer = this.clock.setTimeout(
        () => end(failure('timeout', 'no answer in time', this.clock.now())),
        call.timeoutMs
      )
      this.net.send(this, call, (reply) => end(this.judge(call, reply, sentAt)))
    })
  }

  private ended<T>(call: PeerCall<ExchangeKind>, outcome: PeerOutcome<T>): PeerOutcome<T> {
    this.watchers.answered(call.to, outcome)
    return outcome
  }

  // What the HTTP transport makes of the same answer (http-transport.ts's judgeAnswer).
  private judge<K extends ExchangeKind>(
    call: PeerCall<K>,
    reply: Reply,
    sentAt: number
  ): PeerOutcome<z.output<K['answer']>> {
    const at = this.clock.now()
    if (reply.kind === 'refused') return failure('refused', 'connection refused', at)
    if (reply.kind === 'unsigned') {
      return failure(
        'bogus',
        `answered ${reply.code} without a valid signature (another cluster key, or not an almacen node)`,
        at
      )
    }
    this.connections.add(call.address)
    if (call.to !== ANY_RECEIVER && reply.responder !== call.to) {
      return failure('wrong-node', `node ${reply.responder} answered for ${call.to}`, at)
    }
    if (reply.kind === 'refusal') {
      const { code, message, details } = reply
      return refusedWith({ code, message: `${code}: ${message}`, details }, at)
    }
    const answer = call.kind.answer.safeParse(JSON.parse(reply.json))
    if (!answer.success)
      return failure('bogus', 'answered, signed, but not with the answer asked for', at)
    return {
      ok: true,
      body: answer.data as z.output<K['answer']>,
      rttMs: at - sentAt,
      responder: reply.responder,
    }
  }
}
