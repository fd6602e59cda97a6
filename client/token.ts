// Which API token the client sends: --token, else ALMACEN_TOKEN, else — for the node on this
// machine only — the first admin token that node wrote in its data directory (ALMACEN_DATA_DIR,
// ./data by default). A token file is never sent to a node elsewhere, nor to another port of this
// machine than the one that node says it listens on (LISTENING_FILE) while it runs: a mistyped
// port, where anything may listen, gets no token.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { ADMIN_TOKEN_FILE, LISTENING_FILE, type Listening } from '../api/access.ts'

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i
/** The node's pid file in its data directory (runtime/data-dir-lock.ts). */
const PID_FILE = 'almacen.pid'

export function tokenFor(
  url: string,
  given: string | undefined,
  env: NodeJS.ProcessEnv
): string | undefined {
  if (given) return given
  if (env.ALMACEN_TOKEN) return env.ALMACEN_TOKEN
  const target = new URL(url)
  if (!LOOPBACK.test(target.hostname)) return undefined
  const dataDir = env.ALMACEN_DATA_DIR || 'data'
  try {
    if (!listensAt(dataDir, target)) return undefined
    return readFileSync(path.join(dataDir, ADMIN_TOKEN_FILE), 'utf8').trim()
  } catch {
    return undefined // no node on this machine, or not this user's: the node will say what it needs
  }
}

/** Whether the node of `dataDir` runs and listens at `target`'s scheme and port. */
function listensAt(dataDir: string, target: URL): boolean {
  const { scheme, port } = JSON.parse(
    readFileSync(path.join(dataDir, LISTENING_FILE), 'utf8')
  ) as Listening
  const targetScheme = target.protocol.replace(/:$/, '')
  const targetPort = Number(target.port || (targetScheme === 'https' ? 443 : 80))
  if (scheme !== targetScheme || port !== targetPort) return false
  const pid = Number(readFileSync(path.join(dataDir, PID_FILE), 'utf8'))
  return Number.isInteger(pid) && pid > 0 && running(pid)
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}
