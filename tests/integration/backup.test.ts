// Backups of a running node: POST /backup while writes go on, the copy listed and downloaded, a
// node started on it (the documented restore of a single node), and the schedule's retention.
import { createHash } from 'node:crypto'
import { copyFile, readFile, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import t from 'tap'
import { databaseFile } from '../../db/knex-config.ts'
import { until } from '../fixtures/node-process.ts'
import { tempDir } from '../fixtures/temp-dir.ts'
import { nodeFetch } from '../fixtures/tokens.ts'
import { api, startTestNode } from '../fixtures/test-node.ts'

const receipt = (n: number) => ({ type: 'receipt', sku: 'ROPE', quantity: 1, reference: `R-${n}` })
const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex')

/** The file itself: api() reads text, which would mangle the bytes. */
async function download(node: { url: string }, name: string) {
  const response = await nodeFetch(`${node.url}/backups/${name}`)
  return { status: response.status, bytes: new Uint8Array(await response.arrayBuffer()) }
}

t.test(
  'a backup taken while writes go on is a consistent copy: downloaded, put back in place of the database, the node starts on it with its id and a ledger that verifies',
  async (t) => {
    const dataDir = tempDir(t)
    const node = await startTestNode(t, { dataDir })
    await api(node, 'POST', '/items', { sku: 'ROPE', name: 'Rope', unit: 'm' })
    for (let n = 1; n <= 40; n++) await api(node, 'POST', '/movements', receipt(n))
    await api(node, 'POST', '/users', { name: 'ana', role: 'viewer' })
    const ana = (await api(node, 'POST', '/tokens', { user: 'ana', name: 'scanner' })).body
    const asAna = { authorization: `Bearer ${ana.token}` }

    // The copy is taken while 40 more receipts are written, one after another.
    const writing = (async () => {
      const statuses = []
      for (let n = 41; n <= 80; n++)
        statuses.push((await api(node, 'POST', '/movements', receipt(n))).status)
      return statuses
    })()
    const taken = await api(node, 'POST', '/backup', {})
    t.same(await writing, new Array(40).fill(201), 'every write went on meanwhile')
    t.equal(taken.status, 201)
    const backup = taken.body
    t.match(backup, {
      name: /^backup-[0-9TZ-]+\.sqlite$/,
      nodeId: node.identity.id,
      scheduled: false,
      head: { seq: Number, hash: /^[0-9a-f]{64}$/ },
    })
    t.ok(backup.head.seq >= 40 && backup.head.seq <= 80, `the copy ends at row ${backup.head.seq}`)
    t.equal(taken.headers.get('location'), `/backups/${backup.name}`)

    t.same((await api(node, 'GET', '/backups')).body, { backups: [backup] })
    const file = await download(node, backup.name)
    t.equal(file.status, 200)
    t.equal(file.bytes.length, backup.bytes, 'the download is the whole file')
    const onDisk = await readFile(path.join(dataDir, 'backups', backup.name))
    t.equal(sha(file.bytes), sha(onDisk), 'and the same bytes as the file in backups/')

    // Only a name the node gave a backup is served: never the database, nor a path out.
    for (const name of ['almacen.sqlite', '..%2Falmacen.sqlite', `${backup.name}.partial`]) {
      t.match(await api(node, 'GET', `/backups/${name}`), {
        status: 404,
        body: { code: 'NOT_FOUND' },
      })
    }

    // A token revoked after the backup: refused now, and valid again once the backup is back.
    await api(node, 'POST', `/tokens/${ana.id}/revoke`, {})
    t.equal((await api(node, 'GET', '/me', undefined, asAna)).status, 401)

    // The restore, as the README says: stop, the backup in place of the database, start.
    await node.close()
    const db = databaseFile(dataDir)
    for (const extra of ['-wal', '-shm']) await rm(db + extra, { force: true })
    await copyFile(path.join(dataDir, 'backups', backup.name), db)
    const restored = await startTestNode(t, { dataDir })
    t.equal(restored.identity.id, node.identity.id, 'the same node')
    // With no cluster key it is in no network: nothing to catch up, and it no longer asks.
    t.equal((await restored.db.call('backups.origin', {})).data, null)
    const verified = await api(restored, 'POST', '/ledger/verify', {})
    t.match(verified.body, { ok: true, head: backup.head, checked: { movements: backup.head.seq } })
    t.match((await api(restored, 'GET', '/stock/ROPE')).body, { onHand: backup.head.seq })
    t.equal((await api(restored, 'POST', '/movements', receipt(81))).status, 201)
    t.equal(
      (await api(restored, 'GET', '/me', undefined, asAna)).status,
      200,
      'as the backup had it'
    )
  }
)

t.test(
  'the schedule keeps the newest scheduled backups, and never removes one taken by hand',
  async (t) => {
    const node = await startTestNode(t, { backup: { everyMs: 100, keep: 2 } })
    // A scheduled one may be running already (every 100 ms): then the node answers 409 and the
    // person asks again, as the README says.
    let byHand = { name: '' }
    await until(
      async () => {
        const taken = await api(node, 'POST', '/backup', {})
        if (taken.status === 201) byHand = taken.body
        else t.equal(taken.status, 409, 'busy with a scheduled one')
        return taken.status === 201
      },
      10_000,
      'a backup taken by hand'
    )
    const scheduled = async () =>
      ((await api(node, 'GET', '/backups')).body.backups as { name: string; scheduled: boolean }[])
        .filter((b) => b.scheduled)
        .map((b) => b.name)
    const first = (await until(async () => (await scheduled()).length >= 1, 10_000, 'one'),
    await scheduled())[0]
    await until(async () => !(await scheduled()).includes(first), 10_000, 'the first one removed')
    t.equal((await scheduled()).length, 2, 'two scheduled backups kept')
    const names = ((await api(node, 'GET', '/backups')).body.backups as { name: string }[]).map(
      (b) => b.name
    )
    t.ok(names.includes(byHand.name), 'the one taken by hand is still there')
  }
)

t.test(
  'a backup that cannot be written says why, and the next one, once it can, is taken',
  async (t) => {
    const dataDir = tempDir(t)
    const node = await startTestNode(t, { dataDir })
    // Where the backups folder should be, a file: nothing can be written there.
    await writeFile(path.join(dataDir, 'backups'), 'not a folder')
    t.match(await api(node, 'POST', '/backup', {}), {
      status: 500,
      body: { code: 'INTERNAL', error: /^The backup failed: .*backups/ },
    })
    await rm(path.join(dataDir, 'backups'))
    t.equal((await api(node, 'POST', '/backup', {})).status, 201)
    t.equal((await api(node, 'GET', '/backups')).body.backups.length, 1)
  }
)
