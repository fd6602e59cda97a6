import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { ProtocolError } from './transport.ts'

/** How far a request's timestamp may be from this node's clock, either way, before it is refused. */
export const MAX_SKEW_MS = 30_000

const HEADER = {
  node: 'x-almacen-node',
  to: 'x-almacen-to',
  time: 'x-almacen-time',
  nonce: 'x-almacen-nonce',
  signature: 'x-almacen-signature',
} as const

const TIME = /^\d{1,15}$/
const NONCE = /^[\w-]{16,64}$/

// The first line keeps a request's signature from ever passing for an answer's, and back.
function sign(key: string, kind: 'request' | 'answer', fields: string[], body: string): string {
  const digest = createHash('sha256').update(body).digest('hex')
  return createHmac('sha256', key)
    .update([`almacen-${kind}`, ...fields, digest].join('\n'))
    .digest('hex')
}

function same(given: string, expected: string): boolean {
  const a = Buffer.from(given, 'hex')
  const b = Buffer.from(expected, 'hex')
  return a.length === b.length && timingSafeEqual(a, b)
}

export interface RequestToSign {
  from: string
  /** The receiver's node id; ANY_RECEIVER only for /peer/join. */
  to: string
  method: string
  path: string
  body: string
}

/**
 * The headers that sign a node-to-node request: HMAC-SHA256 with the cluster key over method,
 * path, time, sender, receiver, a random nonce and the body. The signature also names the request
 * when its answer is signed (signAnswer).
 */
export function signRequest(
  key: string,
  request: RequestToSign
): { headers: Record<string, string>; signature: string } {
  const time = String(Date.now())
  const nonce = randomBytes(16).toString('base64url')
  const { from, to, method, path, body } = request
  const signature = sign(key, 'request', [method.toUpperCase(), path, time, from, to, nonce], body)
  const headers = {
    [HEADER.node]: from,
    [HEADER.to]: to,
    [HEADER.time]: time,
    [HEADER.nonce]: nonce,
    [HEADER.signature]: signature,
  }
  return { headers, signature }
}

/** A request whose signature checked out: who sent it, to whom, when, and its nonce. */
export interface SignedRequest {
  sender: string
  to: string
  time: number
  nonce: string
  signature: string
}

function refuse(message: string): ProtocolError {
  return new ProtocolError('UNAUTHENTICATED', message)
}

/**
 * Checks a node-to-node request's signature against the cluster key; refuses it (UNAUTHENTICATED) when the
 * signature is missing, malformed or wrong, or when this node has no key. Whether it is fresh,
 * new and meant for this node is for the receiver to check (peer-auth.ts).
 */
export function verifyRequest(
  key: string | undefined,
  request: { method: string; headers: Headers },
  path: string,
  body: string
): SignedRequest {
  if (!key) throw refuse('This node has no cluster key, so it takes no node-to-node requests')
  const get = (name: string) => request.headers.get(name) ?? ''
  const [sender, to, time, nonce, given] = [
    get(HEADER.node),
    get(HEADER.to),
    get(HEADER.time),
    get(HEADER.nonce),
    get(HEADER.signature),
  ]
  if (!sender || !to || !time || !nonce || !given)
    throw refuse('Node-to-node requests must be signed with the cluster key')
  if (!TIME.test(time) || !NONCE.test(nonce))
    throw refuse('The request is signed, but its time or nonce is malformed')
  const fields = [request.method.toUpperCase(), path, time, sender, to, nonce]
  if (!same(given, sign(key, 'request', fields, body))) {
    throw refuse('The signature does not match: the sender has another cluster key')
  }
  return { sender, to, time: Number(time), nonce, signature: given }
}

export interface AnswerToSign {
  responder: string
  /** The signature of the request answered: an answer counts for that request only. */
  request: string
  status: number
  body: string
}

/** The headers that sign an answer: HMAC over the request's signature, status, responder, time, body. */
export function signAnswer(key: string, answer: AnswerToSign): Record<string, string> {
  const time = String(Date.now())
  const fields = [answer.request, String(answer.status), answer.responder, time]
  return {
    [HEADER.node]: answer.responder,
    [HEADER.time]: time,
    [HEADER.signature]: sign(key, 'answer', fields, answer.body),
  }
}

/**
 * Checks an answer's signature: made with the cluster key, for the request that `request` signed.
 * Returns the responder's id, or undefined when the answer is not signed that way.
 */
export function verifyAnswer(
  key: string,
  request: string,
  answer: { status: number; header(name: string): string | undefined; body: string }
): string | undefined {
  const responder = answer.header(HEADER.node)
  const time = answer.header(HEADER.time)
  const given = answer.header(HEADER.signature)
  if (!responder || !time || !given || !TIME.test(time)) return undefined
  const fields = [request, String(answer.status), responder, time]
  return same(given, sign(key, 'answer', fields, answer.body)) ? responder : undefined
}
