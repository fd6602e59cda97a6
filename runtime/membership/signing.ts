import { createHash, createHmac, timingSafeEqual } from 'node:crypto'
import { HttpError } from '../errors.ts'

/** How far a request's timestamp may be from this node's clock before it is refused as stale. */
const MAX_SKEW_MS = 30_000

const HEADER_NODE = 'x-almacen-node'
const HEADER_TIME = 'x-almacen-time'
const HEADER_SIGNATURE = 'x-almacen-signature'

function signature(
  key: string,
  method: string,
  path: string,
  time: string,
  node: string,
  body: string
) {
  const digest = createHash('sha256').update(body).digest('hex')
  return createHmac('sha256', key)
    .update(`${method.toUpperCase()}\n${path}\n${time}\n${node}\n${digest}`)
    .digest('hex')
}

/** The headers that sign a node-to-node request: HMAC-SHA256 over method, path, time, sender and body. */
export function signedHeaders(
  key: string,
  node: string,
  method: string,
  path: string,
  body: string
) {
  const time = String(Date.now())
  return {
    [HEADER_NODE]: node,
    [HEADER_TIME]: time,
    [HEADER_SIGNATURE]: signature(key, method, path, time, node, body),
  }
}

function refuse(message: string): HttpError {
  return new HttpError(401, 'UNAUTHENTICATED', message)
}

/**
 * Checks a node-to-node request's signature against the cluster key; refuses it (401) when the
 * signature is missing, wrong or stale, or when this node has no key. Returns the sender's id.
 */
export function verifySignature(
  key: string | undefined,
  request: { method: string; headers: Headers },
  path: string,
  body: string
): string {
  if (!key) throw refuse('This node has no cluster key, so it takes no node-to-node requests')
  const node = request.headers.get(HEADER_NODE)
  const time = request.headers.get(HEADER_TIME)
  const given = request.headers.get(HEADER_SIGNATURE)
  if (!node || !time || !given)
    throw refuse('Node-to-node requests must be signed with the cluster key')
  if (!/^\d+$/.test(time) || Math.abs(Date.now() - Number(time)) > MAX_SKEW_MS) {
    throw refuse("The request is stale: its timestamp is too far from this node's clock")
  }
  const expected = Buffer.from(signature(key, request.method, path, time, node, body), 'hex')
  const actual = Buffer.from(given, 'hex')
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
    throw refuse('The signature does not match: the sender has another cluster key')
  }
  return node
}
