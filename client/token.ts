// Which API token the client sends: --token, else ALMACEN_TOKEN, else — for a node on this
// machine only — the first admin token that node wrote in its data directory (ALMACEN_DATA_DIR,
// ./data by default). A token file is never sent to a node elsewhere: it is the local node's.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { ADMIN_TOKEN_FILE } from '../api/access.ts'

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i

export function tokenFor(
  url: string,
  given: string | undefined,
  env: NodeJS.ProcessEnv
): string | undefined {
  if (given) return given
  if (env.ALMACEN_TOKEN) return env.ALMACEN_TOKEN
  if (!LOOPBACK.test(new URL(url).hostname)) return undefined
  try {
    return readFileSync(path.join(env.ALMACEN_DATA_DIR || 'data', ADMIN_TOKEN_FILE), 'utf8').trim()
  } catch {
    return undefined // no node on this machine, or not this user's: the node will say what it needs
  }
}
