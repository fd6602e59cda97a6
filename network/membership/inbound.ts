import type { Member } from '../../db/contract/index.ts'
import { ProtocolError } from '../transport/transport.ts'
import type {
  GossipAck,
  GossipMessage,
  JoinMessage,
  MemberList,
  PeerAnswer,
  PeerKind,
  PeerMessage,
  PingAck,
  PingMessage,
  PingReqAnswer,
  PingReqMessage,
  SyncAnswer,
  SyncMessage,
} from './messages.ts'
import type { MemberUpdate } from './rules.ts'
import type { MemberView } from './view.ts'

export interface InboundDeps {
  view: MemberView
  /** News to ride along on an answer. */
  piggyback(): MemberUpdate[]
  merge(updates: MemberUpdate[], options: { from: string; spread?: boolean }): Promise<unknown>
  /** Probes a member for another node (the detector's part of a ping-req). */
  probeFor(target: Member): Promise<PingReqAnswer>
  /** False while this node is out of the network (it left, or is leaving). */
  participating(): boolean
  /** This node's answer to a join: itself and the members it knows. */
  list(): MemberList
}

type Receivers = {
  [K in PeerKind]: (sender: string, message: PeerMessage<K>) => Promise<PeerAnswer<K>>
}

/**
 * What other nodes send this one. Whatever carried it has checked the signature, the receiver,
 * the time and the nonce (network/transport/peer-auth.ts over HTTP); `sender` is the signer.
 */
export class Inbound {
  private readonly receivers: Receivers = {
    ping: (sender, message) => this.ping(sender, message),
    'ping-req': (sender, message) => this.pingReq(sender, message),
    gossip: (sender, message) => this.gossip(sender, message),
    sync: (sender, message) => this.sync(sender, message),
    join: (sender, message) => this.join(sender, message),
  }

  constructor(private readonly deps: InboundDeps) {}

  receive<K extends PeerKind>(
    kind: K,
    sender: string,
    message: PeerMessage<K>
  ): Promise<PeerAnswer<K>> {
    const receiver = this.receivers[kind] as (
      s: string,
      m: PeerMessage<K>
    ) => Promise<PeerAnswer<K>>
    return receiver(sender, message)
  }

  private hear(sender: string, claimed: string): void {
    if (claimed !== sender) {
      throw new ProtocolError(
        'BAD_REQUEST',
        `The message says it is from ${claimed} but is signed by ${sender}`
      )
    }
    this.deps.view.heardFrom(sender)
    this.deps.view.clearProblem(sender, 'clock-skew') // its request was on time
  }

  private async ping(sender: string, message: PingMessage): Promise<PingAck> {
    const { view } = this.deps
    if (message.target.id !== view.selfId) {
      throw new ProtocolError('WRONG_NODE', `This is node ${view.selfId}, not ${message.target.id}`)
    }
    this.hear(sender, message.from.id)
    // How the prober sees this node: a wrong suspicion is refuted before the ack leaves.
    const aboutMe = { ...view.toUpdate(view.self), ...message.target }
    await this.deps.merge([message.from, ...message.updates, aboutMe], { from: sender })
    return { self: view.toUpdate(view.self), updates: this.deps.piggyback() }
  }

  private async pingReq(sender: string, message: PingReqMessage): Promise<PingReqAnswer> {
    this.hear(sender, message.from.id)
    await this.deps.merge([message.from, ...message.updates], { from: sender })
    // Only a member's address, as this node knows it, is ever contacted: never one from a message.
    const known = this.deps.view.get(message.target.id)
    return known ? this.deps.probeFor(known) : { result: 'unknown' }
  }

  private async gossip(sender: string, message: GossipMessage): Promise<GossipAck> {
    this.hear(sender, message.from.id)
    await this.deps.merge([message.from, ...message.updates], { from: sender })
    return { ok: true }
  }

  private async sync(sender: string, message: SyncMessage): Promise<SyncAnswer> {
    const { view } = this.deps
    this.hear(sender, message.from.id)
    await this.deps.merge([message.from, ...message.members], { from: sender })
    return { members: view.all().map((member) => view.toUpdate(member)) }
  }

  private async join(sender: string, message: JoinMessage): Promise<MemberList> {
    this.hear(sender, message.member.id)
    if (!this.deps.participating()) {
      throw new ProtocolError(
        'NOT_A_MEMBER',
        'This node has left the peer network; join through another node'
      )
    }
    await this.deps.merge([message.member], { from: sender, spread: message.relay })
    return this.deps.list()
  }
}
