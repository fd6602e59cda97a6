// Who may call a route: each handler declares it (defineHandler({ access }, …)), the scanner
// refuses a route that declares nothing (runtime/load-routes.ts), and this stage checks it.
import { ROLES, type Role, type TokenHolder } from '../../db/contract/index.ts'
import { HttpError } from '../errors.ts'
import { readText } from '../input.ts'
import { httpErrorOf } from '../peer-refusals.ts'
import type { TokenHolders } from '../tokens.ts'
import type { Exchange, Finally, Stage } from './exchange.ts'
import { ADMIN_TOKEN_FILE } from '../../api/access.ts'

/**
 * `public`: anyone who reaches the node; `peer`: another node of the network, by the cluster
 * key's signature; `viewer` (reads), `operator` (movements, transfers, counts) and `admin`
 * (catalogue, ledger, membership, users and tokens): an API token of that role or a stronger one.
 * `accessStages` says how each is checked, or the type check fails.
 */
export const ACCESS = ['public', 'peer', 'viewer', 'operator', 'admin'] as const
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
export function accessStages(
  peers: PeerAuthenticator | undefined,
  holders: TokenHolders
): Record<Access, Stage[]> {
  return {
    public: [],
    peer: [peers ? authenticatePeer(peers) : refusePeers],
    viewer: [requireRole(holders, 'viewer')],
    operator: [requireRole(holders, 'operator')],
    admin: [requireRole(holders, 'admin')],
  }
}

const BEARER = /^Bearer +([\x21-\x7e]{1,200})$/i

/** A request's token must belong to an enabled user whose role is `needed` or a stronger one. */
function requireRole(holders: TokenHolders, needed: Role): Stage {
  const check = (holder: TokenHolder | null, exchange: Exchange) => {
    admit(holder, needed)
    exchange.user = { name: holder.user, role: holder.role, tokenId: holder.tokenId }
  }
  // The holder as remembered (no wait), else looked up.
  const withHolder = <T>(token: string, use: (holder: TokenHolder | null) => T) => {
    const remembered = holders.remembering(token)
    return remembered !== undefined ? use(remembered) : holders.lookup(token).then(use)
  }
  return function requireRole(request, exchange) {
    const header = request.headers.get('authorization')
    if (header === null) {
      throw unauthenticated(
        `This needs an API token${needed === 'viewer' ? '' : ` with the ${rolesFrom(needed)} role`}: send it as ` +
          `"Authorization: Bearer <token>" (the node's first admin token is in its data ` +
          `directory, in the file ${ADMIN_TOKEN_FILE}; an admin makes others with "almacen tokens create")`
      )
    }
    const token = BEARER.exec(header)?.[1]
    if (token === undefined) {
      throw unauthenticated('The Authorization header must be "Bearer <token>"')
    }
    // What is remembered of tokens is forgotten after every write to users or tokens, so a check
    // again sees a revocation, a disabled user or a role taken away.
    exchange.recheck = () => withHolder(token, (holder) => admit(holder, needed))
    return withHolder(token, (holder) => check(holder, exchange))
  }
}

/** "operator or admin": the role needed and those above it. */
const rolesFrom = (needed: Role) => ROLES.slice(ROLES.indexOf(needed)).join(' or ')

function admit(holder: TokenHolder | null, needed: Role): asserts holder is TokenHolder {
  if (holder === null) {
    throw unauthenticated(
      'This token is not one this node issued (each warehouse issues its own tokens; a node restored from a backup knows only the tokens it had then), or it was mistyped'
    )
  }
  if (holder.revokedAt !== null) {
    throw unauthenticated(`This token was revoked at ${holder.revokedAt}: ask an admin for another`)
  }
  if (holder.expiresAt !== null && Date.parse(holder.expiresAt) <= Date.now()) {
    throw unauthenticated(`This token expired at ${holder.expiresAt}: ask an admin for another`)
  }
  if (holder.disabledAt !== null) {
    throw unauthenticated(`The user ${holder.user} is disabled: none of their tokens is accepted`)
  }
  if (ROLES.indexOf(holder.role) < ROLES.indexOf(needed)) {
    throw new HttpError(
      'FORBIDDEN',
      `This needs the ${rolesFrom(needed)} role; this token is ${holder.user}'s, whose role is ${holder.role}`
    )
  }
}

function unauthenticated(message: string): HttpError {
  return new HttpError('UNAUTHENTICATED', message, {
    headers: { 'www-authenticate': 'Bearer realm="almacen"' },
  })
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
