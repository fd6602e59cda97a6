import { HttpError } from '../../runtime/errors.ts'
import type { Membership } from './membership.ts'
import type {
  GossipAck,
  GossipMessage,
  JoinMessage,
  MemberList,
  PingAck,
  PingMessage,
  PingReqAnswer,
  PingReqMessage,
  SyncAnswer,
  SyncMessage,
} from './messages.ts'

// What other nodes send this one. The router has checked the signature, the receiver, the time
// and the nonce (peer-auth.ts); `sender` is the signer.

function hear(m: Membership, sender: string, claimed: string): void {
  if (claimed !== sender) {
    throw new HttpError(
      400,
      'BAD_REQUEST',
      `The message says it is from ${claimed} but is signed by ${sender}`
    )
  }
  m.view.heardFrom(sender)
  m.view.clearProblem(sender, 'clock-skew') // its request was on time
}

export async function onPing(
  m: Membership,
  sender: string,
  message: PingMessage
): Promise<PingAck> {
  if (message.target.id !== m.view.selfId) {
    throw new HttpError(
      409,
      'WRONG_NODE',
      `This is node ${m.view.selfId}, not ${message.target.id}`
    )
  }
  hear(m, sender, message.from.id)
  // How the prober sees this node: a wrong suspicion is refuted before the ack leaves.
  const aboutMe = { ...m.view.toUpdate(m.view.self), ...message.target }
  await m.merge([message.from, ...message.updates, aboutMe], { from: sender })
  return { self: m.view.toUpdate(m.view.self), updates: m.gossip.piggyback() }
}

export async function onPingReq(
  m: Membership,
  sender: string,
  message: PingReqMessage
): Promise<PingReqAnswer> {
  hear(m, sender, message.from.id)
  await m.merge([message.from, ...message.updates], { from: sender })
  // Only a member's address, as this node knows it, is ever contacted: never one from a message.
  const known = m.view.get(message.target.id)
  return known ? m.detector.probeFor(known) : { result: 'unknown' }
}

export async function onGossip(
  m: Membership,
  sender: string,
  message: GossipMessage
): Promise<GossipAck> {
  hear(m, sender, message.from.id)
  await m.merge([message.from, ...message.updates], { from: sender })
  return { ok: true }
}

export async function onSync(
  m: Membership,
  sender: string,
  message: SyncMessage
): Promise<SyncAnswer> {
  hear(m, sender, message.from.id)
  await m.merge([message.from, ...message.members], { from: sender })
  return { members: m.view.all().map((member) => m.view.toUpdate(member)) }
}

export async function onJoin(
  m: Membership,
  sender: string,
  message: JoinMessage
): Promise<MemberList> {
  hear(m, sender, message.member.id)
  if (m.leaving) {
    throw new HttpError(
      409,
      'NOT_A_MEMBER',
      'This node has left the peer network; join through another node'
    )
  }
  await m.merge([message.member], { from: sender, spread: message.relay })
  return m.list()
}
