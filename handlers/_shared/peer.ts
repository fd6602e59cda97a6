import {
  defineHandler,
  HttpError,
  httpErrorOf,
  messageSchema,
  text,
  type Ctx,
  type PeerKind,
  type PeerMessage,
} from '../../runtime/index.ts'

/**
 * The node that signed this request. The access stage has already refused an unsigned one; this
 * says so to the type checker, and refuses should a route ever be served without that stage.
 */
export function signer(ctx: Ctx): string {
  if (!ctx.peer) throw new HttpError('UNAUTHENTICATED', 'Node-to-node requests must be signed')
  return ctx.peer
}

/**
 * A feed page as the worker wrote it (events.feedText, replicas.feedText), its bytes sent as
 * they came from the worker: nothing parsed, serialized or decoded again here. The runtime signs
 * it.
 */
export const feedAnswer = (page: { text: string | Uint8Array }) =>
  text(page.text, 'application/json; charset=utf-8')

/**
 * A node-to-node route for one of the membership's exchanges: the runtime has checked the
 * cluster-key signature, the receiver, the time and the nonce (ctx.peer is the signer); the
 * message is validated with its one schema (network/membership/messages.ts) and handed to the
 * membership, whose refusals become HTTP statuses here. The runtime signs the answer.
 */
export function peerRoute<K extends PeerKind>(kind: K, summary: string, example: PeerMessage<K>) {
  const body = messageSchema(kind)
  return defineHandler(
    { access: 'peer', summary, body, example: { body: example } },
    async (_request, ctx, { body: message }) => {
      const from = signer(ctx)
      try {
        return await ctx.membership.receive(kind, from, message)
      } catch (err) {
        throw httpErrorOf(err)
      }
    }
  )
}

/** Two members, as the examples of the node-to-node routes show them. */
export const EXAMPLE_MEMBERS = [
  {
    id: '6f1c2a5e-7d7b-4f0e-9a43-2b8f1e0c9d11',
    name: 'Madrid',
    address: 'http://10.0.4.11:8080',
    state: 'alive',
    incarnation: 3,
  },
  {
    id: '0b9d4e7a-2c61-4f3b-8e15-7a4c9d2f6b30',
    name: 'Sevilla',
    address: 'http://10.0.4.12:8080',
    state: 'suspect',
    incarnation: 1,
  },
] as const

/** A page of a log after a position, as the examples of the feed routes ask for it. */
export const EXAMPLE_PAGE = {
  after: {
    events: 120,
    ledger: { seq: 80, hash: '3f9a0c1e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a10' },
  },
  limit: 2000,
  maxBytes: 1048576,
}
