import {
  defineHandler,
  gossipMessage,
  HttpError,
  joinMessage,
  pingMessage,
  pingReqMessage,
  readJson,
  syncMessage,
  type Membership,
  type z,
} from '../../runtime/index.ts'

// Node-to-node messages are defined once, with their answers, in network/membership/messages.ts.
export { gossipMessage, joinMessage, pingMessage, pingReqMessage, syncMessage }

/**
 * A node-to-node route: the runtime has checked the cluster-key signature, the receiver, the
 * time and the nonce (ctx.peer is the signer); the body is validated and handed to the
 * membership. The runtime signs the answer.
 */
export function peerRoute<S extends z.ZodType>(
  schema: S,
  receive: (membership: Membership, sender: string, message: z.output<S>) => Promise<unknown>
) {
  return defineHandler(async (request, ctx) => {
    if (!ctx.peer)
      throw new HttpError(401, 'UNAUTHENTICATED', 'Node-to-node requests must be signed')
    if (!ctx.membership.opened) throw new HttpError(503, 'NOT_READY', 'This node is still starting')
    return receive(ctx.membership, ctx.peer, await readJson(request, schema))
  })
}
