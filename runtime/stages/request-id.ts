import { randomUUID } from 'node:crypto'
import type { Stage } from './exchange.ts'

const REQUEST_ID = /^[\w.:-]{1,64}$/

/**
 * The first stage: the id that names this request in the log and in its answer. A caller's own
 * X-Request-Id is kept when it is a sane one, so one action can be followed across systems.
 */
export const withRequestId: Stage = function withRequestId(request, exchange) {
  const offered = request.headers.get('x-request-id')
  exchange.requestId = offered && REQUEST_ID.test(offered) ? offered : randomUUID()
}
