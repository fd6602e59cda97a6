import type { Logger } from 'pino'
import { answeredIn, type Finally } from './exchange.ts'

/**
 * The routes a monitoring system polls: one info line each time (every 5 s, some 17,000 a day)
 * would bury what people do. Answered 2xx they log at debug; a failure logs as any other.
 */
const POLLED = new Set(['/health', '/metrics'])

/**
 * One line per request: what, the answer, how long, who (address, user or peer) and a refusal's
 * code. Node-to-node traffic (a few messages a second) would drown the log: it
 * is debug, as are /health and /metrics answered 2xx. So is a client that hung up mid-request:
 * nobody is left to answer.
 */
export function logLine(log: Logger): Finally {
  return function logLine(response, request, exchange) {
    const clientClosed = response.status === 499
    const url = request.url.slice(request.url.indexOf('/', 8))
    const quiet = (exchange.toPeer || POLLED.has(url.split('?')[0])) && response.status < 400
    const level = quiet || clientClosed ? 'debug' : 'info'
    log[level](
      {
        requestId: exchange.requestId,
        method: request.method,
        url,
        status: response.status,
        ms: Math.round(answeredIn(exchange) * 10) / 10,
        // Who: the address, and the token's user or the signing peer; never a token.
        client: exchange.client,
        user: exchange.user?.name,
        peer: exchange.peer,
        code: exchange.code,
      },
      clientClosed ? 'client closed the request' : 'request'
    )
    return response
  }
}
