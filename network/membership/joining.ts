import type { Membership } from './membership.ts'
import { memberList, type JoinMessage, type MemberList, type MemberUpdate } from './messages.ts'
import { nextIncarnation } from './rules.ts'
import { ANY_RECEIVER } from '../transport/signing.ts'

// Joining the network through members' addresses, given by an operator or kept on disk.

export interface JoinOutcome {
  address: string
  ok: boolean
  reason?: string
}

/**
 * What a join is told about an address that did not answer as a member of this network, whatever
 * it did: refused, timed out, answered unsigned or with something else. The node's log has the
 * detail; the answer to POST /members/join must not make the node a scanner of other hosts.
 */
export const NOT_A_MEMBER = 'did not answer as a member of this network'

/** How long a join waits for an answer; a failed join through an address takes this long, always. */
export const JOIN_TIMEOUT_MS = 3000

// Failures that only a node holding the cluster key can cause: its own signed refusals.
const SIGNED_REFUSALS = new Set(['error', 'clock-skew', 'wrong-node'])

/**
 * Joins through these addresses (any one is enough). A node that left comes back only if one
 * of them answers: until then it stays out, and says so. An address that is not a member's
 * gets one answer, NOT_A_MEMBER, and only after JOIN_TIMEOUT_MS, whatever happened there.
 */
export async function join(m: Membership, addresses: string[]): Promise<JoinOutcome[]> {
  const started = Date.now()
  const answers = await joinThrough(m, addresses, true)
  for (const { outcome, detail } of answers) {
    if (detail) m.log.info({ address: outcome.address, detail }, `join: ${outcome.reason}`)
  }
  if (answers.some((a) => !a.outcome.ok)) {
    const waitMs = started + JOIN_TIMEOUT_MS - Date.now()
    if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs))
  }
  return answers.map((a) => a.outcome)
}

async function joinThrough(m: Membership, addresses: string[], relay: boolean) {
  const self = m.view.self
  const asking = m.leaving
    ? {
        ...m.view.toUpdate(self),
        state: 'alive' as const,
        incarnation: nextIncarnation(self.incarnation),
      }
    : m.view.toUpdate(self)
  const answers = await Promise.all(addresses.map((address) => ask(m, address, relay, asking)))
  const lists = answers.flatMap((a) => (a.list ? [a.list] : []))
  if (lists.length > 0 && m.leaving) await m.rise(true)
  for (const list of lists) await absorb(m, list)
  return answers
}

async function ask(
  m: Membership,
  address: string,
  relay: boolean,
  member: MemberUpdate
): Promise<{ outcome: JoinOutcome; detail?: string; list?: MemberList }> {
  const answer = await m.client.post({
    address,
    path: '/peer/join',
    to: ANY_RECEIVER,
    body: { member, relay } satisfies JoinMessage,
    answer: memberList,
    timeoutMs: JOIN_TIMEOUT_MS,
  })
  if (!answer.ok) {
    // A member's own refusal (signed) is told as it is; anything else, the same for all.
    const detail = `${answer.reason}: ${answer.message}`
    return SIGNED_REFUSALS.has(answer.reason)
      ? { outcome: { address, ok: false, reason: detail } }
      : { outcome: { address, ok: false, reason: NOT_A_MEMBER }, detail }
  }
  const { self } = answer.body
  if (answer.responder !== self.id) {
    const detail = `node ${answer.responder} answered with the list of ${self.id}`
    return { outcome: { address, ok: false, reason: NOT_A_MEMBER }, detail }
  }
  if (self.id === m.view.selfId) {
    return { outcome: { address, ok: false, reason: 'that address is this node' } }
  }
  m.view.heardFrom(self.id, answer.rttMs)
  return { outcome: { address, ok: true }, list: answer.body }
}

/** Takes in a member's list (its answer to a join), and tells the others this node is here. */
async function absorb(m: Membership, list: MemberList): Promise<void> {
  await m.merge([list.self, ...list.members], { from: list.self.id })
  m.gossip.spread([m.view.self])
}

// At start the peers may still be starting too: keep trying until one of them answers.
export async function joinUntilAnswered(m: Membership, addresses: string[]): Promise<void> {
  for (let wait = 1000; addresses.length > 0 && !m.leaving; wait = Math.min(wait * 2, 30_000)) {
    const known = (a: string) => m.view.all().some((m) => m.address === a)
    const answers = await Promise.all(
      addresses.map((a) => joinThrough(m, [a], !known(a)).then(([answer]) => answer))
    )
    if (answers.some((a) => a.outcome.ok)) return
    const outcomes = answers.map(({ outcome, detail }) => ({ ...outcome, detail }))
    m.log.warn({ outcomes }, 'no peer answered the join; trying again')
    await new Promise((resolve) => setTimeout(resolve, wait).unref())
  }
}
