import type { NodeMetrics } from '../metrics.ts'
import { UNMATCHED } from '../metrics.ts'
import { answeredIn, type Finally } from './exchange.ts'

/**
 * Counts every answer for Prometheus, by method, status and the route's pattern (`/items/:sku`,
 * as itty-router matched it): never the path itself, which anyone can make up. A path no route
 * matched, or a request refused before routing, counts under one label, UNMATCHED.
 */
export function countRequest(metrics: NodeMetrics, catchAll: string[]): Finally {
  const unmatched = new Set(catchAll)
  return function countRequest(response, request, exchange) {
    const route: string | undefined = request.route
    const label = route === undefined || unmatched.has(route) ? UNMATCHED : route
    metrics.request(request.method, label, response.status, answeredIn(exchange))
    return response
  }
}
