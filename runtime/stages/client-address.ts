// Who is asking, for the log: the address the connection came from, or — only when it came from
// a reverse proxy the node was told to trust — the address that proxy says it forwarded for.
// X-Forwarded-For from anyone else is a claim anybody can write, and is ignored.
import type { Stage } from './exchange.ts'

/** `::ffff:10.0.0.7` (an IPv4 client on a dual-stack socket) as `10.0.0.7`. */
export const plainAddress = (address: string) => address.trim().replace(/^::ffff:(?=\d+\.)/, '')

/**
 * The client's address: the connection's peer, unless that is a trusted proxy; then the last
 * address in X-Forwarded-For that is not itself a trusted proxy (each proxy appends the one it
 * heard from, so what is left of the last untrusted one was written by the client and proves
 * nothing).
 */
export function clientAddress(
  socket: string | undefined,
  forwardedFor: string | null,
  trusted: ReadonlySet<string>
): string | undefined {
  if (socket === undefined) return undefined
  let client = plainAddress(socket)
  if (!trusted.has(client) || !forwardedFor) return client
  const hops = forwardedFor.split(',').map(plainAddress).filter(Boolean)
  for (let i = hops.length - 1; i >= 0; i--) {
    client = hops[i]
    if (!trusted.has(client)) return client
  }
  return client
}

export function withClientAddress(trustedProxies: readonly string[] = []): Stage {
  const trusted = new Set(trustedProxies.map(plainAddress))
  return function withClientAddress(request, exchange) {
    exchange.client = clientAddress(
      exchange.connection?.address,
      request.headers.get('x-forwarded-for'),
      trusted
    )
  }
}
