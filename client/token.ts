// Which API token the client sends: --token, else ALMACEN_TOKEN, else — for the node on this
// machine only — the first admin token that node wrote in its data directory (ALMACEN_DATA_DIR,
// ./data by default). That one goes only where the node says it listens (LISTENING_FILE): the
// address it bound and its port, asked again before every try, and only while the process that
// said so runs and holds the directory. A mistyped port, another loopback address on the same
// port, or the port once the node has let it go, where anything may listen, get no token.
import { readFileSync } from 'node:fs'
import { isIP } from 'node:net'
import path from 'node:path'
import { ADMIN_TOKEN_FILE, LISTENING_FILE, PID_FILE, type Listening } from '../api/access.ts'
import { alive, startTicks } from '../lib/processes.ts'

/** A token, or where to read it before each try (the local node's: sent while it listens there). */
export type TokenSource = string | (() => string | undefined)

/** The token to send now. */
export const tokenNow = (token: TokenSource | undefined): string | undefined =>
  typeof token === 'function' ? token() : token

export function tokenFor(
  url: string,
  given: string | undefined,
  env: NodeJS.ProcessEnv
): TokenSource | undefined {
  if (given) return given
  if (env.ALMACEN_TOKEN) return env.ALMACEN_TOKEN
  const target = new URL(url)
  const dataDir = env.ALMACEN_DATA_DIR || 'data'
  // A name is never resolved here: `localhost` may reach ::1 where the node listens on 127.0.0.1.
  if (loopbackLiteral(target.hostname) === undefined) return undefined
  // Asked before each try even when no node has run here yet: a client started first (the menus
  // waiting for the node) sends the token once the node has written it and listens.
  return () => localToken(dataDir, target)
}

/** The admin token of the node of `dataDir`, if it runs and listens where `target` points. */
export function localToken(dataDir: string, target: URL): string | undefined {
  try {
    const file = path.join(dataDir, LISTENING_FILE)
    const listening = JSON.parse(readFileSync(file, 'utf8')) as Listening
    const holder = Number(readFileSync(path.join(dataDir, PID_FILE), 'utf8'))
    if (listening.pid !== holder || !alive(holder)) return undefined
    // Not a process given the pid again after the node's end: the one that wrote the file, by
    // its start in ticks since the boot (the wall clock may have been stepped since).
    const started = startTicks(holder)
    if (started !== undefined && listening.started !== started) return undefined
    const scheme = target.protocol.replace(/:$/, '')
    const port = Number(target.port || (scheme === 'https' ? 443 : 80))
    if (listening.scheme !== scheme || listening.port !== port) return undefined
    if (!reaches(listening.host, loopbackLiteral(target.hostname))) return undefined
    return readFileSync(path.join(dataDir, ADMIN_TOKEN_FILE), 'utf8').trim()
  } catch {
    return undefined // no node on this machine, or not this user's: the node will say what it needs
  }
}

/** A loopback address written as one (127.x.x.x, ::1), bare; undefined for anything else. */
function loopbackLiteral(hostname: string): string | undefined {
  const bare = hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase()
  if (isIP(bare) === 4 && bare.startsWith('127.')) return bare
  if (bare === '::1') return bare
  return undefined
}

/** Whether a connection to `address` reaches a server bound to `bound`. */
function reaches(bound: string, address: string | undefined): boolean {
  if (address === undefined) return false
  if (bound === '0.0.0.0') return isIP(address) === 4
  if (bound === '::') return true // both families, on a dual-stack machine as Node binds it
  return bound.toLowerCase() === address
}
