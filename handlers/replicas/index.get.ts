import type { ReplicaList } from '../../api/index.ts'
import { defineHandler } from '../../runtime/index.ts'
import { replicaViews } from '../_shared/replica-view.ts'

/** Every peer's replica here: its state, cursor, the owner's known head, rows behind, as of. */
export default defineHandler(
  { access: 'viewer', summary: "Every peer's replica here: state, cursor, rows behind, as of" },
  async (_request, ctx): Promise<ReplicaList> => ({ replicas: await replicaViews(ctx) })
)
