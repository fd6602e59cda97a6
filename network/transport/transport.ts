import type { z } from 'zod'

// What every node-to-node protocol (membership now; replication, the transfer relay and topic
// federation later) sends through: signed request/answer exchanges with a deadline. memberlist's
// transport.go is the model; its packets and streams become exchanges here, since every message
// between almacen nodes is a request that gets an answer.

/** The receiver a join names: the joiner cannot know the id of the node at an address yet. */
export const ANY_RECEIVER = '*'
/**
 * The routes that may be addressed to ANY_RECEIVER: a join, and the read-only question a node
 * being restored asks at the addresses it was given (it knows no peer's id yet). The answer is
 * still signed by the node that gave it, and names it.
 */
export const ANY_RECEIVER_PATHS: ReadonlySet<string> = new Set(['/peer/join', '/peer/replica-head'])

/**
 * One kind of exchange between nodes: where it goes, what it carries, what comes back. The
 * receiver validates the message with `message`, the sender the answer with `answer`, before
 * either believes a word of it.
 */
export interface ExchangeKind<M extends z.ZodType = z.ZodType, A extends z.ZodType = z.ZodType> {
  /** The peer route that takes it (handlers/peer/…). */
  path: string
  message: M
  answer: A
  /** The largest answer read (bytes); the transport's default otherwise. */
  maxAnswerBytes?: number
}

/** How a call can fail, from the weakest evidence against the peer to the strongest. */
export const FAILURES = [
  'refused',
  'timeout',
  'unreachable',
  'unauthorized',
  'wrong-node',
  'clock-skew',
  'bogus',
  'error',
] as const

/**
 * How a call ended. A refusal (nothing listens there) is stronger news than silence; an answer
 * that is not signed with the cluster key for this very request, or that does not have the shape
 * asked for, is `bogus` and never believed.
 */
export type PeerOutcome<T> = { ok: true; body: T; rttMs: number; responder: string } | PeerFailure

export interface PeerFailure {
  ok: false
  reason: (typeof FAILURES)[number]
  message: string
  /** When the call ended (the caller's clock): the time of the evidence. */
  at: number
  /** For clock-skew: how far the receiver's clock is ahead of this node's (ms). */
  skewMs?: number
  /** For a refusal the receiver signed: its code (FORKED, NOT_FOUND…). */
  code?: string
}

export interface PeerCall<K extends ExchangeKind> {
  kind: K
  /** The receiver's base URL. */
  address: string
  /** The receiver's node id, or ANY_RECEIVER for a join. */
  to: string
  body: z.input<K['message']>
  timeoutMs: number
}

/** Evidence about peers that a transport comes by besides the answers themselves. */
export interface TransportEvents {
  /** A kept connection with a peer closed from its side: its process may have died. */
  lost?(peer: { id?: string; address?: string }): void
  /** How a call ended, for the node it was addressed to. */
  answered?(to: string, outcome: PeerOutcome<unknown>): void
  /** A peer's signed request came with its clock this far behind this node's (negative: ahead). */
  skewed?(sender: string, skewMs: number): void
  /**
   * A request named a cluster key this node does not hold (`held`: the ids it does), saying it
   * comes from `sender` (unchecked: nothing signed it). This node or the sender missed a rotation.
   */
  unknownKey?(sender: string, keyId: string, held: string[]): void
}

export interface Transport {
  /** False without a cluster key: this node can neither sign nor check a peer's word. */
  readonly canTalk: boolean
  call<K extends ExchangeKind>(call: PeerCall<K>): Promise<PeerOutcome<z.output<K['answer']>>>
  /** Subscribes to the transport's evidence; returns the unsubscribe. */
  watch(events: TransportEvents): () => void
}

/** The codes a receiver refuses an exchange with; the HTTP binding gives each its status. */
export type ProtocolCode =
  | 'UNAUTHENTICATED'
  | 'CLOCK_SKEW'
  | 'TOO_EARLY'
  | 'REPLAYED'
  | 'WRONG_NODE'
  | 'BUSY'
  | 'NOT_READY'
  | 'NOT_A_MEMBER'
  | 'BAD_REQUEST'
  | 'KEY_UNKNOWN'
  | 'KEY_IN_USE'
  | 'KEY_NOT_EVERYWHERE'

/** A receiver's refusal of an exchange: thrown by the protocols, never an HTTP error. */
export class ProtocolError extends Error {
  constructor(
    readonly code: ProtocolCode,
    message: string,
    readonly details?: unknown
  ) {
    super(message)
    this.name = 'ProtocolError'
  }
}

/** "45 s ahead of" / "3 s behind": how a peer's clock stands to this node's, for a person. */
export function describeSkew(skewMs: number): string {
  const seconds = Math.round(Math.abs(skewMs) / 1000)
  return `${seconds} s ${skewMs < 0 ? 'ahead of' : 'behind'}`
}

export function failure(
  reason: PeerFailure['reason'],
  message: string,
  at: number,
  skewMs?: number
): PeerFailure {
  return { ok: false, reason, message, at, ...(skewMs === undefined ? {} : { skewMs }) }
}

/** What a receiver's signed refusal means to the caller, whatever carried it. */
export function refusedWith(
  refusal: { code: string; message: string; details?: unknown },
  at: number
): PeerFailure {
  const { code, message, details } = refusal
  if (code === 'WRONG_NODE') return failure('wrong-node', message, at)
  if (code === 'CLOCK_SKEW') {
    const skewMs = (details as { skewMs?: unknown } | undefined)?.skewMs
    return failure('clock-skew', message, at, typeof skewMs === 'number' ? skewMs : undefined)
  }
  return { ...failure('error', message, at), code }
}

/** The watchers of one transport: each piece of evidence goes to all of them. */
export class Watchers implements Required<TransportEvents> {
  private readonly all = new Set<TransportEvents>()

  add(events: TransportEvents): () => void {
    this.all.add(events)
    return () => this.all.delete(events)
  }

  lost(peer: { id?: string; address?: string }): void {
    for (const w of this.all) w.lost?.(peer)
  }

  answered(to: string, outcome: PeerOutcome<unknown>): void {
    for (const w of this.all) w.answered?.(to, outcome)
  }

  skewed(sender: string, skewMs: number): void {
    for (const w of this.all) w.skewed?.(sender, skewMs)
  }

  unknownKey(sender: string, keyId: string, held: string[]): void {
    for (const w of this.all) w.unknownKey?.(sender, keyId, held)
  }
}
