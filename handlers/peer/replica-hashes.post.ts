import {
  defineHandler,
  REPLICATION_MESSAGES,
  type ReplicaHashesAnswer,
} from '../../runtime/index.ts'
import { signer } from '../_shared/peer.ts'

const { message } = REPLICATION_MESSAGES.replicaHashes

/**
 * The hashes this node's replica of a node holds at the seqs asked (those it has): how a node
 * finds where its own chain and a witness's part (404 when it holds no replica of that node).
 */
export default defineHandler(
  {
    access: 'peer',
    summary: "The hashes this node's replica of a node holds at some seqs",
    body: message,
    example: { body: { node: '0b9d4e7a-2c61-4f3b-8e15-7a4c9d2f6b30', seqs: [1, 500, 1000] } },
  },
  async (_request, ctx, { body: { node, seqs } }): Promise<ReplicaHashesAnswer> => {
    signer(ctx)
    return ctx.db.send('replicas.hashes', { nodeId: node, seqs })
  }
)
