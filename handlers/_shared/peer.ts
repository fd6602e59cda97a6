import {
  defineHandler,
  HttpError,
  httpErrorOf,
  messageSchema,
  readJson,
  type Ctx,
  type PeerKind,
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
 * A node-to-node route for one of the membership's exchanges: the runtime has checked the
 * cluster-key signature, the receiver, the time and the nonce (ctx.peer is the signer); the
 * message is validated with its one schema (network/membership/messages.ts) and handed to the
 * membership, whose refusals become HTTP statuses here. The runtime signs the answer.
 */
export function peerRoute<K extends PeerKind>(kind: K) {
  const schema = messageSchema(kind)
  return defineHandler({ access: 'peer' }, async (request, ctx) => {
    const from = signer(ctx)
    const message = await readJson(request, schema)
    try {
      return await ctx.membership.receive(kind, from, message)
    } catch (err) {
      throw httpErrorOf(err)
    }
  })
}
