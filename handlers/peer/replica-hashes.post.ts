import {
  defineHandler,
  readJson,
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
  { access: 'peer' },
  async (request, ctx): Promise<ReplicaHashesAnswer> => {
    signer(ctx)
    const { node, seqs } = await readJson(request, message)
    return ctx.db.send('replicas.hashes', { nodeId: node, seqs })
  }
)
