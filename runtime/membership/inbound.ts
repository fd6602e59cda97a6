import type { Member } from '../../db/contract.ts'
import { HttpError } from '../errors.ts'
import type { Membership } from './membership.ts'
import type {
  GossipMessage,
  JoinMessage,
  MemberList,
  PingAck,
  PingMessage,
  PingReqAnswer,
  PingReqMessage,
  SyncMessage,
} from './messages.ts'

// What other nodes send this one. The router has checked the signature; `sender` is the signer.

function hear(m: Membership, sender: string, claimed: string): void {
  if (claimed !== sender) {
    throw new HttpError(
      400,
      'BAD_REQUEST',
      `The message says it is from ${claimed} but is signed by ${sender}`
    )
  }
  m.view.heardFrom(sender)
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
  await m.merge([message.from, ...message.updates, aboutMe])
  return { self: m.view.toUpdate(m.view.self), updates: m.gossip.piggyback() }
}

export async function onPingReq(
  m: Membership,
  sender: string,
  message: PingReqMessage
): Promise<PingReqAnswer> {
  hear(m, sender, message.from.id)
  await m.merge([message.from, ...message.updates])
  const { id, address, state, incarnation } = message.target
  const known = m.view.get(id)
  const target: Member = known ?? {
    id,
    name: id,
    address,
    state,
    incarnation,
    stateChangedAt: '',
    evidenceAt: null,
  }
  return m.detector.probeFor(target)
}

export async function onGossip(m: Membership, sender: string, message: GossipMessage) {
  hear(m, sender, message.from.id)
  await m.merge([message.from, ...message.updates])
  return { ok: true }
}

export async function onSync(m: Membership, sender: string, message: SyncMessage) {
  hear(m, sender, message.from.id)
  await m.merge([message.from, ...message.members])
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
  await m.merge([message.member], message.relay)
  return m.list()
}
