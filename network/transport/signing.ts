import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { NODE_ID } from '../../api/members.ts'
import type { SigningKey } from '../keyring/keyring.ts'
import { ProtocolError } from './transport.ts'

/** How far a request's timestamp may be from this node's clock, either way, before it is refused. */
export const MAX_SKEW_MS = 30_000

const HEADER = {
  node: 'x-almacen-node',
  to: 'x-almacen-to',
  time: 'x-almacen-time',
  nonce: 'x-almacen-nonce',
  key: 'x-almacen-key',
  signature: 'x-almacen-signature',
} as const

const TIME = /^\d{1,15}$/
const NONCE = /^[\w-]{16,64}$/
export const KEY_ID = /^[0-9a-f]{16}$/
/** The headers naming a request's sender and the key it says it was signed with. */
export const SENDER_HEADER = HEADER.node
export const KEY_HEADER = HEADER.key

// The first line keeps a request's signature from ever passing for an answer's, and back; the
// key's id is signed too.
function sign(
  key: SigningKey,
  kind: 'request' | 'answer',
  fields: string[],
  body: string | Uint8Array
): string {
  const digest = createHash('sha256').update(body).digest('hex')
  return createHmac('sha256', key.secret)
    .update([`almacen-${kind}`, key.id, ...fields, digest].join('\n'))
    .digest('hex')
}

/** A signature as signed: 64 lower-case hex digits, exactly (Buffer.from stops at a bad one). */
const SIGNATURE = /^[0-9a-f]{64}$/

function same(given: string, expected: string): boolean {
  if (!SIGNATURE.test(given)) return false
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
 * The headers that sign a node-to-node request: HMAC-SHA256 with the sender's primary cluster key
 * (named by its id) over method, path, time, sender, receiver, a random nonce and the body. The
 * signature also names the request when its answer is signed (signAnswer).
 */
export function signRequest(
  key: SigningKey,
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
    [HEADER.key]: key.id,
    [HEADER.signature]: signature,
  }
  return { headers, signature }
}

/** A request whose signature checked out: who sent it, to whom, when, its nonce, with which key. */
export interface SignedRequest {
  sender: string
  to: string
  time: number
  nonce: string
  signature: string
  /** The installed key it was signed with: its answer is signed with the same. */
  key: SigningKey
}

/** The installed cluster keys by id (a keyring). */
export type KeyLookup = (id: string) => string | undefined

function refuse(message: string): ProtocolError {
  return new ProtocolError('UNAUTHENTICATED', message)
}

/**
 * Checks a node-to-node request's signature against the installed key it names; refuses it
 * (UNAUTHENTICATED) when the signature is missing, malformed or wrong, or names a key not
 * installed here. Whether it is fresh, new and meant for this node is for the receiver to check
 * (peer-auth.ts).
 */
export function verifyRequest(
  keys: KeyLookup,
  request: { method: string; headers: Headers },
  path: string,
  body: string
): SignedRequest {
  const get = (name: string) => request.headers.get(name) ?? ''
  const [sender, to, time, nonce, id, given] = [
    get(HEADER.node),
    get(HEADER.to),
    get(HEADER.time),
    get(HEADER.nonce),
    get(HEADER.key),
    get(HEADER.signature),
  ]
  if (!sender || !to || !time || !nonce || !id || !given)
    throw refuse('Node-to-node requests must be signed with the cluster key')
  // A node's id as members are known by, or `*` (any receiver).
  if (![sender, to].every((node) => NODE_ID.test(node)))
    throw refuse('The request is signed, but its sender or receiver is not a node id')
  if (!TIME.test(time) || !NONCE.test(nonce) || !KEY_ID.test(id))
    throw refuse("The request is signed, but its time, nonce or key's id is malformed")
  const secret = keys(id)
  if (!secret) {
    throw refuse(
      `The request is signed with cluster key ${id}, which is not installed on this node`
    )
  }
  const key = { id, secret }
  const fields = [request.method.toUpperCase(), path, time, sender, to, nonce]
  if (!same(given, sign(key, 'request', fields, body))) {
    throw refuse('The signature does not match: the sender has another cluster key')
  }
  return { sender, to, time: Number(time), nonce, signature: given, key }
}

export interface AnswerToSign {
  responder: string
  /** The signature of the request answered: an answer counts for that request only. */
  request: string
  status: number
  /** As text, or its UTF-8 bytes (the same signature). */
  body: string | Uint8Array
}

/**
 * The headers that sign an answer: HMAC, with the key the request was signed with, over the
 * request's signature, status, responder, time and body.
 */
export function signAnswer(key: SigningKey, answer: AnswerToSign): Record<string, string> {
  const time = String(Date.now())
  const fields = [answer.request, String(answer.status), answer.responder, time]
  return {
    [HEADER.node]: answer.responder,
    [HEADER.time]: time,
    [HEADER.key]: key.id,
    [HEADER.signature]: sign(key, 'answer', fields, answer.body),
  }
}

/**
 * Checks an answer's signature: made with the key the request was signed with, for the request
 * that `request` signed. Returns the responder's id, or undefined when the answer is not signed
 * that way.
 */
export function verifyAnswer(
  key: SigningKey,
  request: string,
  answer: { status: number; header(name: string): string | undefined; body: string }
): string | undefined {
  const responder = answer.header(HEADER.node)
  const time = answer.header(HEADER.time)
  const given = answer.header(HEADER.signature)
  if (!responder || !time || !given || !TIME.test(time)) return undefined
  if (answer.header(HEADER.key) !== key.id) return undefined
  const fields = [request, String(answer.status), responder, time]
  return same(given, sign(key, 'answer', fields, answer.body)) ? responder : undefined
}
