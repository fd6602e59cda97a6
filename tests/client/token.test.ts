// The token the client sends: the local node's first admin token only to the address and port
// that node says it listens on, asked before each try, while the process that said so runs and
// holds the directory — a listener on a mistyped port, on another loopback address, or on the
// port once the node has let it go gets nothing.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { ADMIN_TOKEN_FILE, LISTENING_FILE, PID_FILE } from '../../api/access.ts'
import { tokenFor, tokenNow } from '../../client/token.ts'
import { startTicks } from '../../lib/processes.ts'
import { tempDir } from '../fixtures/temp-dir.ts'

const TOKEN = 'secret-admin-token'

/** A node's data directory as it runs (the files it writes), in `dir` or a new one. */
function dataDir(
  t: { teardown(fn: () => unknown): void },
  listening: Record<string, unknown> | null,
  holder: number | null = process.pid,
  dir = tempDir(t)
) {
  writeFileSync(path.join(dir, ADMIN_TOKEN_FILE), `${TOKEN}\n`)
  if (listening) {
    writeFileSync(
      path.join(dir, LISTENING_FILE),
      JSON.stringify({ pid: process.pid, started: startTicks(process.pid), ...listening })
    )
  }
  if (holder !== null) writeFileSync(path.join(dir, PID_FILE), String(holder))
  return dir
}

const sent = (url: string, dir: string, env: Record<string, string> = {}) =>
  tokenNow(tokenFor(url, undefined, { ALMACEN_DATA_DIR: dir, ...env }))

t.test('the local node’s token goes to the address and port it listens on only', async (t) => {
  const dir = dataDir(t, { scheme: 'http', host: '127.0.0.1', port: 8080 })
  t.equal(sent('http://127.0.0.1:8080', dir), TOKEN)
  t.equal(sent('http://127.0.0.1:8080/', dir), TOKEN)
  t.equal(sent('http://127.0.0.1:8008', dir), undefined, 'a mistyped port')
  t.equal(sent('https://127.0.0.1:8080', dir), undefined, 'another scheme')
  t.equal(sent('http://127.0.0.1', dir), undefined, 'port 80 is not 8080')
  t.equal(sent('http://127.0.0.2:8080', dir), undefined, 'another loopback address')
  t.equal(sent('http://[::1]:8080', dir), undefined, 'the same port on IPv6, anyone’s')
  t.equal(sent('http://localhost:8080', dir), undefined, 'a name, which may resolve to ::1')
  t.equal(sent('http://10.0.0.5:8080', dir), undefined, 'another machine')
  t.equal(tokenFor('http://127.0.0.1:8008', 'given', {}), 'given', '--token wins, anywhere')
  t.equal(tokenFor('http://127.0.0.1:8008', undefined, { ALMACEN_TOKEN: 'env' }), 'env')
})

t.test(
  'a node bound to every address is reached on each loopback address of its family',
  async (t) => {
    const v4 = dataDir(t, { scheme: 'http', host: '0.0.0.0', port: 8080 })
    t.equal(sent('http://127.0.0.1:8080', v4), TOKEN)
    t.equal(sent('http://127.0.0.5:8080', v4), TOKEN)
    t.equal(sent('http://[::1]:8080', v4), undefined, '::1 is not bound by 0.0.0.0')
    const both = dataDir(t, { scheme: 'http', host: '::', port: 8080 })
    t.equal(sent('http://[::1]:8080', both), TOKEN)
    t.equal(sent('http://127.0.0.1:8080', both), TOKEN)
    const tls = dataDir(t, { scheme: 'https', host: '::1', port: 443 })
    t.equal(sent('https://[::1]', tls), TOKEN, 'https with no port: 443')
  }
)

t.test('no token once the node that said where it listens is gone', async (t) => {
  const stopped = dataDir(t, { scheme: 'http', host: '127.0.0.1', port: 8080 }, null)
  t.equal(sent('http://127.0.0.1:8080', stopped), undefined, 'no pid file: stopped')
  // Another run holds the directory (starting, not yet listening): the file is the last run's.
  const starting = dataDir(t, { scheme: 'http', host: '127.0.0.1', port: 8080, pid: 1 })
  t.equal(sent('http://127.0.0.1:8080', starting), undefined)
  const crashed = dataDir(
    t,
    { scheme: 'http', host: '127.0.0.1', port: 8080, pid: 2 ** 22 + 1 },
    2 ** 22 + 1
  )
  t.equal(sent('http://127.0.0.1:8080', crashed), undefined, 'a pid no process has')
  const older = dataDir(t, null)
  t.equal(sent('http://127.0.0.1:8080', older), undefined, 'a node that never said')

  // The pid given again to another process after the node's end: not the one that wrote it.
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'])
  t.teardown(() => child.kill())
  await once(child, 'spawn')
  const pid = child.pid ?? 0
  const listening = { scheme: 'http', host: '127.0.0.1', port: 8080, pid }
  const reused = dataDir(t, { ...listening, started: (startTicks(pid) ?? 0) - 1 }, pid)
  t.equal(sent('http://127.0.0.1:8080', reused), undefined)
  const same = dataDir(t, { ...listening, started: startTicks(pid) }, pid)
  t.equal(sent('http://127.0.0.1:8080', same), TOKEN, 'the writer itself, by its start')
})

t.test('asked before each try: the token stops once the node stops', async (t) => {
  const dir = dataDir(t, { scheme: 'http', host: '127.0.0.1', port: 8080 })
  const source = tokenFor('http://127.0.0.1:8080', undefined, { ALMACEN_DATA_DIR: dir })
  t.equal(tokenNow(source), TOKEN)
  writeFileSync(path.join(dir, PID_FILE), '1') // another run took the directory
  t.equal(tokenNow(source), undefined)
})

t.test(
  'a client started before its node’s first run sends the token once the node runs',
  async (t) => {
    // The menus wait for a node that is not up yet: its data directory is still empty.
    const dir = tempDir(t)
    const source = tokenFor('http://127.0.0.1:8080', undefined, { ALMACEN_DATA_DIR: dir })
    t.equal(tokenNow(source), undefined, 'no node yet: no token')
    dataDir(t, { scheme: 'http', host: '127.0.0.1', port: 8080 }, process.pid, dir)
    t.equal(tokenNow(source), TOKEN, 'the node ran, wrote its token and listens: sent')
  }
)
