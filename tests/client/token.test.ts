// The token the client sends: the local node's first admin token only to the port that node says
// it listens on, while it runs — a listener on a mistyped port of this machine gets nothing.
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { ADMIN_TOKEN_FILE, LISTENING_FILE } from '../../api/access.ts'
import { tokenFor } from '../../client/token.ts'
import { tempDir } from '../fixtures/temp-dir.ts'

function dataDir(
  t: { teardown(fn: () => unknown): void },
  listening: object | null,
  pid: number | null = process.pid
) {
  const dir = tempDir(t)
  writeFileSync(path.join(dir, ADMIN_TOKEN_FILE), 'secret-admin-token\n')
  if (listening) writeFileSync(path.join(dir, LISTENING_FILE), JSON.stringify(listening))
  if (pid !== null) writeFileSync(path.join(dir, 'almacen.pid'), String(pid))
  return dir
}

t.test('the local node’s token goes to its own port only', async (t) => {
  const dir = dataDir(t, { scheme: 'http', port: 8080 })
  const env = { ALMACEN_DATA_DIR: dir }
  t.equal(tokenFor('http://127.0.0.1:8080', undefined, env), 'secret-admin-token')
  t.equal(tokenFor('http://localhost:8080/', undefined, env), 'secret-admin-token')
  t.equal(tokenFor('http://127.0.0.1:8008', undefined, env), undefined, 'a mistyped port')
  t.equal(tokenFor('https://127.0.0.1:8080', undefined, env), undefined, 'another scheme')
  t.equal(tokenFor('http://127.0.0.1', undefined, env), undefined, 'port 80 is not 8080')
  t.equal(tokenFor('http://10.0.0.5:8080', undefined, env), undefined, 'another machine')
  t.equal(tokenFor('http://127.0.0.1:8008', 'given', env), 'given', '--token wins, anywhere')
  t.equal(tokenFor('http://127.0.0.1:8008', undefined, { ...env, ALMACEN_TOKEN: 'env' }), 'env')
})

t.test('a node over TLS on 443, named without a port', async (t) => {
  const dir = dataDir(t, { scheme: 'https', port: 443 })
  t.equal(tokenFor('https://localhost', undefined, { ALMACEN_DATA_DIR: dir }), 'secret-admin-token')
})

t.test('no token when the node is not running or never said where it listens', async (t) => {
  const stopped = dataDir(t, { scheme: 'http', port: 8080 }, null)
  t.equal(tokenFor('http://127.0.0.1:8080', undefined, { ALMACEN_DATA_DIR: stopped }), undefined)
  // A pid no process has (the largest Linux gives is 2^22).
  const crashed = dataDir(t, { scheme: 'http', port: 8080 }, 2 ** 22 + 1)
  t.equal(tokenFor('http://127.0.0.1:8080', undefined, { ALMACEN_DATA_DIR: crashed }), undefined)
  const older = dataDir(t, null)
  t.equal(tokenFor('http://127.0.0.1:8080', undefined, { ALMACEN_DATA_DIR: older }), undefined)
})
