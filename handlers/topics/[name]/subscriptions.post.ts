import { subscriptionInput, topicPattern } from '../../../api/index.ts'
import { created, defineHandler, validate } from '../../../runtime/index.ts'

/**
 * Makes a durable subscription to the topics a pattern matches (the path's name: orders.eu,
 * stock.>, transfer.*; a SKU's dots are words, so stock.* misses M8.ZINC): a queue of its own,
 * named by the body, that gets a copy of every message published to them and every event of the
 * node on a system topic they match, from now, or from `since`, or `afterEvent` and/or
 * `afterMessage`. It is consumed as that queue is: POST /queues/:name/receive and ack.
 */
export default defineHandler(
  {
    access: 'admin',
    summary: 'Makes a durable subscription to the topics a pattern matches (201)',
    body: subscriptionInput,
    example: { body: { name: 'erp-stock', visibilityTimeoutMs: 30000, maxDeliveries: 5 } },
  },
  async (request, ctx, { body }) => {
    const pattern = validate(topicPattern, request.params.name, 'topic pattern in the path')
    const { since, afterEvent, afterMessage, ...queue } = body
    const subscription = await ctx.db.send('topics.subscribeV2', {
      ...queue,
      pattern,
      since: since === undefined ? null : new Date(since).toISOString(),
      afterEvent: afterEvent ?? null,
      afterMessage: afterMessage ?? null,
    })
    return created(subscription, `/queues/${encodeURIComponent(subscription.name)}`)
  }
)
