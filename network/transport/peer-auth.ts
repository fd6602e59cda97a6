import { Response } from '@whatwg-node/server'
import type { Keyring } from '../keyring/keyring.ts'
import {
  KEY_HEADER,
  KEY_ID,
  MAX_SKEW_MS,
  SENDER_HEADER,
  signAnswer,
  verifyRequest,
  type SignedRequest,
} from './signing.ts'
import { ANY_RECEIVER, ANY_RECEIVER_PATHS, describeSkew, ProtocolError } from './transport.ts'

/** Beyond this many nonces in the window, requests are refused rather than memory grown. */
const MAX_NONCES = 200_000

export interface PeerAuthOptions {
  /** The installed cluster keys: a request signed with any of them is taken. */
  keys: Keyring
  selfId: string
  /** A signed request came with a clock this far behind this node's (negative: ahead). */
  onClockSkew(sender: string, skewMs: number): void
  /** A request named a cluster key not installed here (the sender's id unchecked). */
  onUnknownKey?(sender: string, keyId: string, held: string[]): void
}

/**
 * The receiving side of node-to-node authentication. A request is taken only when it is signed
 * with a cluster key installed here, addressed to this node, timestamped within MAX_SKEW_MS of this node's
 * clock, and carries a nonce not seen in that window; every answer to a signed request, refusals
 * included, is signed in turn and bound to that request.
 *
 * Nonces live in memory for the window, so a request timestamped before this process started
 * cannot be checked against them, and is refused (the sender's next request is fresh). What this
 * leaves open: a sender whose clock runs d seconds ahead could have a request taken by the
 * previous process and timestamped after this one started; it can be replayed once in this
 * process's first d seconds (d < 30 s, and about 0 with NTP). A join is
 * the one request addressed to anyone (the joiner does not know who answers at an address): a
 * join replayed to another node can only announce the joiner again, at an incarnation that node
 * already has or that is news it would take anyway.
 */
export class PeerAuth {
  /** Nonce → when its request's timestamp leaves the window (insertion order, roughly by time). */
  private readonly seen = new Map<string, number>()
  /** Each sender's latest request taken: when it was signed (its clock), and taken (this one's). */
  private readonly latest = new Map<string, { signed: number; taken: number }>()
  readonly acceptingSince = Date.now()

  constructor(private readonly options: PeerAuthOptions) {}

  /** One request: `admit` checks it, `answer` signs what is sent back. */
  exchange(request: Request, path: string): PeerExchange {
    return new PeerExchange(this, request, path)
  }

  /** Signs an answer to a request whose signature checked out. */
  sign(signed: SignedRequest, status: number, body: string | Uint8Array): Record<string, string> {
    return signAnswer(signed.key, {
      responder: this.options.selfId,
      request: signed.signature,
      status,
      body,
    })
  }

  verify(request: Request, path: string, body: string): SignedRequest {
    const { keys } = this.options
    if (!keys.primary) {
      throw new ProtocolError(
        'UNAUTHENTICATED',
        'This node has no cluster key, so it takes no node-to-node requests'
      )
    }
    const id = request.headers.get(KEY_HEADER) ?? ''
    const sender = request.headers.get(SENDER_HEADER) ?? ''
    if (KEY_ID.test(id) && sender && !keys.secret(id)) {
      this.options.onUnknownKey?.(
        sender,
        id,
        keys.list().map((k) => k.id)
      )
    }
    return verifyRequest((id) => keys.secret(id), request, path, body)
  }

  /** Refuses a signed request that is not for this node, not fresh, or seen before. */
  check(signed: SignedRequest, path: string): void {
    const { selfId, onClockSkew } = this.options
    const now = Date.now()
    if (signed.to !== selfId && !(signed.to === ANY_RECEIVER && ANY_RECEIVER_PATHS.has(path))) {
      throw new ProtocolError(
        'WRONG_NODE',
        `This is node ${selfId}; the request was signed for ${signed.to}`
      )
    }
    // Only a key holder could sign it: a node sends itself nothing, so one that says it comes
    // from this node is another pretending (a transfer "from" here would be applied as incoming).
    if (signed.sender === selfId && signed.to === selfId) {
      throw new ProtocolError(
        'WRONG_NODE',
        `The request says it comes from this node, ${selfId}; a node sends itself nothing`
      )
    }
    const skewMs = now - signed.time
    if (Math.abs(skewMs) > MAX_SKEW_MS) {
      // Signed before the sender's latest request, taken here within the window: an old request
      // sent again (a replay of a captured one), which says nothing of the sender's clock now. A
      // sender whose clock stepped back is said once nothing of it has been taken for a window.
      const latest = this.latest.get(signed.sender)
      const replayed = latest && signed.time <= latest.signed && now - latest.taken <= MAX_SKEW_MS
      if (!replayed) onClockSkew(signed.sender, skewMs)
      throw new ProtocolError(
        'CLOCK_SKEW',
        `The request's clock is ${describeSkew(skewMs)} this node's; peers must agree within ${MAX_SKEW_MS / 1000} s (keep their clocks set by NTP)`,
        { skewMs, maxSkewMs: MAX_SKEW_MS }
      )
    }
    if (signed.time < this.acceptingSince) {
      throw new ProtocolError(
        'TOO_EARLY',
        'The request was signed before this node started, so it cannot be told from a replay; send it again'
      )
    }
    this.forgetOld(now)
    if (this.seen.has(signed.nonce)) {
      throw new ProtocolError('REPLAYED', 'This request was received before: a replay is refused')
    }
    if (this.seen.size >= MAX_NONCES) {
      throw new ProtocolError('BUSY', 'Too many node-to-node requests at once; try again shortly')
    }
    this.seen.set(signed.nonce, signed.time + MAX_SKEW_MS)
    const before = this.latest.get(signed.sender)?.signed ?? 0
    this.latest.set(signed.sender, { signed: Math.max(signed.time, before), taken: now })
  }

  // Entries come in about the order of their timestamps; one that lingers a little behind a later
  // one is harmless (its request would be refused as stale anyway).
  private forgetOld(now: number): void {
    for (const [nonce, until] of this.seen) {
      if (until >= now) return
      this.seen.delete(nonce)
    }
  }
}

/** A request to a /peer/ route, from its arrival to its signed answer. */
export class PeerExchange {
  private signed?: SignedRequest

  constructor(
    private readonly auth: PeerAuth,
    private readonly request: Request,
    private readonly path: string
  ) {}

  /** Checks the request; returns the sender's id, or throws the refusal. */
  admit(body: string): string {
    this.signed = this.auth.verify(this.request, this.path, body)
    this.auth.check(this.signed, this.path)
    return this.signed.sender
  }

  /**
   * Signs the answer when the request's signature checked out (a refusal too: the sender learns
   * that it was this node that refused, and why). An answer to an unsigned or wrongly signed
   * request goes unsigned: its sender could not check a signature anyway.
   */
  async answer(response: Response): Promise<Response> {
    if (!this.signed) return response
    // Its bytes, read once: signed as they are and written as they are (a feed page is
    // megabytes, never decoded to text here). @whatwg-node's Response gives a Buffer already,
    // taken as it is, not copied; its type allows a SharedArrayBuffer under it, ours never is.
    const read = (await response.arrayBuffer()) as ArrayBuffer | Uint8Array<ArrayBuffer>
    const body = read instanceof Uint8Array ? read : new Uint8Array(read)
    const signed = new Response(body.byteLength === 0 ? null : body, {
      status: response.status,
      headers: response.headers,
    })
    const headers = this.auth.sign(this.signed, response.status, body)
    for (const [name, value] of Object.entries(headers)) signed.headers.set(name, value)
    return signed
  }
}
