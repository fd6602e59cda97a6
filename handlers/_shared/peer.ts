import { defineHandler, HttpError, readJson, z, type Membership } from '../../runtime/index.ts'

// Node-to-node messages. Unknown fields are dropped rather than refused, so that a newer node
// can add fields without cutting itself off from older ones.

// Checked by pattern rather than z.url(): this runs several times a second on every node, and
// the address is only ever used as the base of a request URL.
const address = z
  .string()
  .max(300)
  .regex(/^https?:\/\/[^\s/?#]+$/, { error: 'must be an http(s) base URL' })

export const memberUpdate = z.object({
  id: z.string().min(1).max(64),
  name: z.string().min(1).max(64),
  address,
  state: z.enum(['alive', 'suspect', 'failed', 'left']),
  incarnation: z.int().min(0),
  evidenceAgeMs: z.number().min(0).optional(),
})

const targetView = memberUpdate.pick({ id: true, state: true, incarnation: true })

const updates = z.array(memberUpdate).max(1000)

export const pingMessage = z.object({ from: memberUpdate, target: targetView, updates })
export const pingReqMessage = z.object({
  from: memberUpdate,
  target: targetView.extend({ address }),
  updates,
})
export const gossipMessage = z.object({ from: memberUpdate, updates })
export const syncMessage = z.object({ from: memberUpdate, members: updates })
export const joinMessage = z.object({ member: memberUpdate, relay: z.boolean() })

/**
 * A node-to-node route: the runtime has checked the cluster-key signature (ctx.peer is the
 * signer); the body is validated and handed to the membership.
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
