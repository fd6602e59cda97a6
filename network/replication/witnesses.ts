// The replicas as the ledger's witnesses (research §5.2): every peer holds a copy of this node's
// chain that this node's disk cannot touch. A ledger edited and re-hashed on its own disk still
// verifies by itself, and a ledger cut short looks whole to its own checks; both disagree with a
// witness: a row whose hash differs at the same seq, or a witness holding rows this node lacks.
// Where they part is found by comparing hashes at a spread of seqs, narrowing in a few rounds.
// A peer down is no evidence either way: "no witness available" is said plainly, never a failure.
import type { Witness, WitnessReport } from '../../api/ledger.ts'
import type { Member } from '../../db/contract/index.ts'
import type { Transport } from '../transport/transport.ts'
import { REPLICATION_MESSAGES } from './messages.ts'

/** This node's own ledger, as the comparison needs it. */
export interface OwnLedger {
  head: { seq: number; hash: string }
  /** The hashes of its rows at these seqs (at most 1000 at once). */
  hashes(seqs: number[]): Promise<{ seq: number; hash: string }[]>
}

export type { Witness, WitnessReport }

export interface WitnessOptions {
  transport: Transport
  selfId: string
  /** The peers to ask (the alive members but this node). */
  peers: Member[]
  own: OwnLedger
  timeoutMs?: number
}

const SPREAD = 64
const short = (hash: string) => `${hash.slice(0, 12)}…`

/** Asks every peer given what it holds of this node's ledger, and compares it with the own. */
export async function askWitnesses(o: WitnessOptions): Promise<WitnessReport> {
  const peers = o.peers.filter((m) => m.id !== o.selfId)
  const witnesses = await Promise.all(peers.map((peer) => witness(o, peer)))
  const speaking = witnesses.filter((w) => w.verdict !== 'silent')
  const differing = witnesses.filter((w) => w.verdict === 'differs')
  const summary =
    speaking.length === 0
      ? `no witness available: ${peers.length === 0 ? 'no peer is alive' : 'no alive peer holds a replica of this ledger'}; the ledger was checked by itself only`
      : differing.length > 0
        ? `${differing.length} of ${speaking.length} witnesses disagree with this ledger: ${differing.map((w) => w.message).join('; ')}`
        : `${speaking.length} witness${speaking.length > 1 ? 'es agree' : ' agrees'} with this ledger`
  return { available: speaking.length > 0, witnesses, summary }
}

async function witness(o: WitnessOptions, peer: Member): Promise<Witness> {
  const base = { peer: { id: peer.id, name: peer.name }, caughtUpAt: null, differsFrom: null }
  const timeoutMs = o.timeoutMs ?? 5000
  const asked = await o.transport.call({
    kind: REPLICATION_MESSAGES.replicaHead,
    address: peer.address,
    to: peer.id,
    body: { node: o.selfId },
    timeoutMs,
  })
  if (!asked.ok) {
    const message = `${peer.name} did not answer (${asked.reason}): no word from it`
    return { ...base, holds: null, verdict: 'silent', message }
  }
  const replica = asked.body.replicas.find((r) => r.nodeId === o.selfId)
  if (!replica || replica.position.ledger.seq === 0) {
    const message = `${peer.name} holds no row of this ledger yet`
    return { ...base, holds: null, verdict: 'silent', message }
  }
  const holds = replica.position.ledger
  const seen = { ...base, holds, caughtUpAt: replica.caughtUpAt }
  // A copy broken by its own disk or a bad page is no evidence; one that stopped because this
  // ledger no longer held its rows (forked) is: every row it holds was checked as it came.
  if (replica.state === 'broken' && replica.reason !== 'forked') {
    const message = `${peer.name}'s replica of this ledger is broken (${replica.reason}): not a witness`
    return { ...seen, verdict: 'silent', message }
  }
  let head = o.own.head
  // The head was read before the witness answered: rows this node committed since, which the
  // witness may already hold, are this ledger's too. Only a row it does not have is missing.
  if (holds.seq > head.seq) {
    const [now] = await o.own.hashes([holds.seq])
    if (now) head = now
  }
  // Compared where both have a row: the witness's last, or this ledger's last if it is shorter.
  const compared = Math.min(holds.seq, head.seq)
  let sameAt = true
  if (compared > 0) {
    const [ownRow] = await o.own.hashes([compared])
    const theirs =
      compared === holds.seq
        ? holds.hash
        : (await hashesOf(o, peer, [compared], timeoutMs))?.get(compared)
    if (theirs === undefined) {
      return { ...seen, verdict: 'silent', message: `${peer.name} did not answer for its hashes` }
    }
    sameAt = theirs === ownRow?.hash
  }
  if (sameAt && holds.seq <= head.seq) {
    const message = `${peer.name} holds rows 1…${holds.seq} of this ledger, the same`
    return { ...seen, verdict: 'agrees', message }
  }
  if (sameAt) {
    const message = `${peer.name} holds rows up to ${holds.seq} (${short(holds.hash)}), this ledger ends at ${head.seq}: rows ${head.seq + 1}…${holds.seq} are missing here (cut short on this node's disk, or put back from an older copy)`
    return { ...seen, verdict: 'differs', differsFrom: head.seq + 1, message }
  }
  const from = await firstDifference(o, peer, compared, timeoutMs)
  const message =
    from === null
      ? `${peer.name} holds row ${compared} with another hash than this ledger's, and did not answer where they part`
      : `${peer.name}'s copy and this ledger part at row ${from}: it holds ${short(holds.hash)} at ${holds.seq}; rows from ${from} on were changed here (edited and re-hashed), or there`
  return { ...seen, verdict: 'differs', differsFrom: from, message }
}

async function hashesOf(
  o: WitnessOptions,
  peer: Member,
  seqs: number[],
  timeoutMs: number
): Promise<Map<number, string> | null> {
  const answer = await o.transport.call({
    kind: REPLICATION_MESSAGES.replicaHashes,
    address: peer.address,
    to: peer.id,
    body: { node: o.selfId, seqs },
    timeoutMs,
  })
  return answer.ok ? new Map(answer.body.hashes.map((h) => [h.seq, h.hash])) : null
}

/**
 * The first seq at or before `differing` where the own row and the witness's differ, rows up to
 * `agreeing` known the same: a spread of seqs compared in one exchange narrows the range each
 * round (two or three rounds for a million rows).
 */
async function firstDifference(
  o: WitnessOptions,
  peer: Member,
  differing: number,
  timeoutMs: number
): Promise<number | null> {
  let lo = 0
  let hi = differing
  while (hi - lo > 1) {
    const step = Math.max(1, Math.floor((hi - lo) / SPREAD))
    const seqs: number[] = []
    for (let seq = lo + step; seq < hi; seq += step) seqs.push(seq)
    const [theirs, own] = await Promise.all([
      hashesOf(o, peer, seqs, timeoutMs),
      o.own.hashes(seqs),
    ])
    if (!theirs) return null
    const ours = new Map(own.map((h) => [h.seq, h.hash]))
    const first = seqs.find((seq) => theirs.get(seq) !== ours.get(seq))
    if (first === undefined) lo = seqs.at(-1) ?? lo
    else {
      hi = first
      lo = seqs[seqs.indexOf(first) - 1] ?? lo
    }
  }
  return hi
}
