import type { Logger } from 'pino'
import { answeredIn, type Finally } from './exchange.ts'

/**
 * One line per request: what, the answer, how long, who (address, user or peer) and a refusal's
 * code. Node-to-node traffic (a few messages a second) would drown the log: it
 * is debug. So is a client that hung up mid-request: nobody is left to answer.
 */
export function logLine(log: Logger): Finally {
  return function logLine(response, request, exchange) {
    const clientClosed = response.status === 499
    const level = (exchange.toPeer && response.status < 400) || clientClosed ? 'debug' : 'info'
    log[level](
      {
        requestId: exchange.requestId,
        method: request.method,
        url: request.url.slice(request.url.indexOf('/', 8)),
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
