import {
  defineHandler,
  httpErrorOf,
  keyringMessage,
  type KeyringAnswer,
} from '../../runtime/index.ts'
import { signer } from '../_shared/peer.ts'

/**
 * One step of a key rotation, asked by the member an admin asked: this node's keys (list), or
 * install a key (sealed under a key this node holds), make one primary, remove one. The answer
 * is this node's keys after the step.
 */
export default defineHandler(
  {
    access: 'peer',
    summary: "One step of a cluster key rotation, on this node's keyring",
    body: keyringMessage,
    example: { body: { op: 'use', id: '3f9a0c1e8b7d6a5f' } },
  },
  async (_request, ctx, { body }): Promise<KeyringAnswer> => {
    signer(ctx)
    try {
      return await ctx.keys.receive(body)
    } catch (err) {
      throw httpErrorOf(err)
    }
  }
)
