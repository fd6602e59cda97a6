import { createHash } from 'node:crypto'
import { readFile, readdir, stat } from 'node:fs/promises'
import path from 'node:path'
import t from 'tap'
import { almacen } from '../../fixtures/client-kit.ts'
import { tempDir } from '../../fixtures/temp-dir.ts'
import { api, startTestNode } from '../../fixtures/test-node.ts'

const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex')

t.test(
  'almacen backup FILE has the node take a backup and saves the very file where it is told',
  async (t) => {
    const dataDir = tempDir(t)
    const node = await startTestNode(t, { dataDir })
    await api(node, 'POST', '/items', { sku: 'ROPE', name: 'Rope', unit: 'm' })
    await api(node, 'POST', '/movements', { type: 'receipt', sku: 'ROPE', quantity: 5 })
    const file = path.join(tempDir(t, 'elsewhere'), 'norte.sqlite')

    // The client runs in this process, where the node set a umask of 0077: a clerk's shell has
    // 0022, under which a file made without a mode of its own is readable by everyone.
    const umask = process.umask(0o022)
    const run = await almacen(['backup', file, '--url', node.url]).finally(() =>
      process.umask(umask)
    )
    t.equal(run.code, 0, run.stderr)
    t.match(run.stdout, /^Backup: +backup-[0-9TZ-]+\.sqlite$/m)
    t.match(run.stdout, /^Last ledger row: +#1 \([0-9a-f]{12}…\)$/m)
    t.match(run.stdout, new RegExp(`^Saved to: +${file} \\(`, 'm'))
    const [name] = await readdir(path.join(dataDir, 'backups'))
    const kept = await readFile(path.join(dataDir, 'backups', name))
    t.equal(sha(await readFile(file)), sha(kept), 'the saved file is the backup, byte for byte')
    t.same(
      await readdir(path.dirname(file)),
      ['norte.sqlite'],
      'and nothing half-written beside it'
    )
    t.equal((await stat(file)).mode & 0o777, 0o600, 'readable by its owner alone, as on the node')

    const json = await almacen(['backup', '--json', '--url', node.url])
    t.match(JSON.parse(json.stdout), { name: /^backup-/, head: { seq: 1 }, scheduled: false })
  }
)

t.test(
  'a FILE that cannot be written here is said as such, and the node takes no backup for it',
  async (t) => {
    const dataDir = tempDir(t)
    const node = await startTestNode(t, { dataDir })
    const elsewhere = tempDir(t, 'elsewhere')
    for (const file of [path.join(elsewhere, 'no-such-folder', 'x.sqlite'), elsewhere]) {
      const run = await almacen(['backup', file, '--url', node.url])
      t.equal(run.code, 1, 'refused here: not 3, the node is not in doubt')
      t.match(run.stderr, new RegExp(`^almacen: Cannot write ${file} on this machine: E`))
      t.notMatch(run.stderr, /Cannot reach|Is it running/)
      const json = await almacen(['backup', file, '--json', '--url', node.url])
      t.match(JSON.parse(json.stderr), { code: 'LOCAL_FILE' })
    }
    const taken = await readdir(path.join(dataDir, 'backups')).catch(() => [])
    t.same(taken, [], 'no backup taken for a file that could not be written')
  }
)
