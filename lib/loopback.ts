// Whether an address is one only this machine reaches: the node (plain HTTP allowed there) and
// the client (a key sent as it is only to such a node) decide by the same rule.
import { isIP } from 'node:net'

/** True for an address only this machine reaches: 127.0.0.0/8, ::1, localhost. */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase()
  if (bare === 'localhost' || bare === '::1' || bare === '0:0:0:0:0:0:0:1') return true
  if (bare.startsWith('::ffff:')) return isLoopback(bare.slice('::ffff:'.length))
  return isIP(bare) === 4 && bare.startsWith('127.')
}
