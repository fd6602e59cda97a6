// Who may call a route: each handler declares it (defineHandler({ access }, …)), the scanner
// refuses a route that declares nothing (runtime/load-routes.ts), and this stage checks it.
import { HttpError } from '../errors.ts'
import { readText } from '../input.ts'
import { httpErrorOf } from '../peer-refusals.ts'
import type { Finally, Stage } from './exchange.ts'

/**
 * `public`: anyone who reaches the node (the client routes have no authentication yet); `peer`:
 * another node of the network, by the cluster key's signature. The roles that come with API
 * tokens (viewer, operator, admin) join this list; `accessStages` must then say how each is
 * checked, or the type check fails.
 */
export const ACCESS = ['public', 'peer'] as const
export type Access = (typeof ACCESS)[number]

/** One node-to-node request's signature check, and the signing of its answer. */
export interface PeerExchange {
  /** Checks the request (signature, receiver, freshness, nonce); returns the signer's id. */
  admit(body: string): string
  answer(response: Response): Promise<Response>
}

/** Checks peers' signatures: the network's (network/transport/peer-auth.ts). */
export interface PeerAuthenticator {
  exchange(request: Request, path: string): PeerExchange
}

/** The stages that run, for each kind of access, before a route's handler. */
export function accessStages(peers: PeerAuthenticator | undefined): Record<Access, Stage[]> {
  return { public: [], peer: [peers ? authenticatePeer(peers) : refusePeers] }
}

/** A node (or a test's app) without the cluster key's checker takes no node-to-node requests. */
const refusePeers: Stage = function refusePeers() {
  throw new HttpError('UNAUTHENTICATED', 'This node takes no node-to-node requests')
}

/**
 * Node-to-node requests must be signed with the cluster key, for this node, fresh and not seen
 * before; ctx.peer is then the signer. The answer is signed in turn (signPeerAnswer), refusals
 * included once the signature checked out.
 */
function authenticatePeer(peers: PeerAuthenticator): Stage {
  return async function authenticatePeer(request, exchange) {
    const signed = peers.exchange(request, new URL(request.url).pathname)
    exchange.signAnswer = (response) => signed.answer(response)
    const body = await readText(request)
    try {
      exchange.peer = signed.admit(body)
    } catch (err) {
      throw httpErrorOf(err) // the protocol's refusal, with its status from the catalogue
    }
    exchange.connection?.from(exchange.peer)
  }
}

export const signPeerAnswer: Finally = function signPeerAnswer(response, _request, exchange) {
  return exchange.signAnswer ? exchange.signAnswer(response) : response
}
