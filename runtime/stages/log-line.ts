import type { Logger } from 'pino'
import type { Finally } from './exchange.ts'

/**
 * One line per request. Node-to-node traffic (a few messages a second) would drown the log: it
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
        ms: Math.round((performance.now() - exchange.started) * 10) / 10,
      },
      clientClosed ? 'client closed the request' : 'request'
    )
    return response
  }
}
