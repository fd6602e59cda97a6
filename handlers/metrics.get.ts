import { defineHandler, text } from '../runtime/index.ts'
import { replicaViews } from './_shared/replica-view.ts'

/** How long a scrape waits for the worker before it answers with the runtime's figures alone. */
const WORKER_MS = 2000

/**
 * For Prometheus: the node's figures in its text format. What the network looks like now
 * (members, replicas, relay lanes) and the worker's own figures are read at each scrape; a
 * worker that does not answer leaves them out (almacen_db_up 0) rather than fail the scrape.
 */
export default defineHandler(
  { access: 'viewer', summary: "The node's figures for Prometheus, in its text format" },
  async (_request, ctx) => {
    const fromWorker = <T>(asking: Promise<T>) => asking.catch(() => null)
    const [worker, replicas] = await Promise.all([
      fromWorker(ctx.db.send('node.metrics', {}, { timeoutMs: WORKER_MS })),
      fromWorker(replicaViews(ctx)),
    ])
    const body = await ctx.metrics.exposition({
      worker,
      members: ctx.membership.snapshot().members,
      replicas,
      lanes: ctx.relay.peers(),
    })
    return text(body, ctx.metrics.contentType)
  }
)
