import { hostname, networkInterfaces } from 'node:os'

/** The names every node answers to, whatever it is bound to. */
const LOOPBACK = ['localhost', '127.0.0.1', '::1']
const WILDCARD = new Set(['0.0.0.0', '::', ''])

/** How a name is compared: lower case, without IPv6 brackets or a trailing dot. */
export function normalizeHost(name: string): string {
  const bare = name.startsWith('[') && name.endsWith(']') ? name.slice(1, -1) : name
  return (bare.endsWith('.') ? bare.slice(0, -1) : bare).toLowerCase()
}

/** The name part of a Host header (`[::1]:8080` → `::1`, `Example.org.:80` → `example.org`). */
export function hostOfHeader(host: string): string {
  const end = host.startsWith('[') ? host.indexOf(']') + 1 : host.lastIndexOf(':')
  return normalizeHost(end > 0 ? host.slice(0, end) : host)
}

function interfaceAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .flatMap((i) => (i ? [i.address] : []))
}

export interface HostNamesOptions {
  /** The address the server is bound to (--host). */
  bound: string
  /** The URL peers reach this node at. */
  advertise: string
  /** Names added by the operator (--allowed-hosts). */
  allowed?: string[]
}

/**
 * The names this node answers to, so that a page whose own name resolves to this machine (DNS
 * rebinding) is refused: loopback, the bound address, the advertised host, the machine's host
 * name, every interface address when bound to all of them, and --allowed-hosts.
 */
export class HostNames {
  private readonly names = new Set<string>()
  private readonly everyInterface: boolean
  private refreshedAt = Date.now()
  /** The last Host header allowed: nearly every request carries the same one. */
  private lastHeader = ''

  constructor(options: HostNamesOptions) {
    this.everyInterface = WILDCARD.has(options.bound)
    const fixed = [
      ...LOOPBACK,
      hostname(),
      new URL(options.advertise).hostname,
      ...(options.allowed ?? []),
    ]
    if (!this.everyInterface) fixed.push(options.bound)
    for (const name of fixed) this.names.add(normalizeHost(name))
    if (this.everyInterface) this.addInterfaces()
  }

  /** True when a request with this Host header (`name[:port]`) is this node's to answer. */
  allowsHeader(header: string): boolean {
    if (header === this.lastHeader) return true
    if (!this.allows(hostOfHeader(header))) return false
    this.lastHeader = header
    return true
  }

  /** True when a request for this host name (already normalized) is this node's to answer. */
  allows(name: string): boolean {
    if (this.names.has(name)) return true
    // An address that came up after the start (DHCP, a VPN): looked up again at most every 5 s.
    if (!this.everyInterface || Date.now() - this.refreshedAt < 5000) return false
    this.refreshedAt = Date.now()
    this.addInterfaces()
    return this.names.has(name)
  }

  list(): string[] {
    return [...this.names]
  }

  private addInterfaces(): void {
    for (const address of interfaceAddresses()) this.names.add(normalizeHost(address))
  }
}
