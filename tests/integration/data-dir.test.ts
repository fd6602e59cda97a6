// What a warehouse node keeps on disk (stock, ledger, identity) is readable by its own user only:
// the runtime's files, and those its database worker, a process of its own, creates.
import { chmodSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { pino } from 'pino'
import t from 'tap'
import { tempDir } from '../fixtures/temp-dir.ts'
import { api, startTestNode } from '../fixtures/test-node.ts'

const modeOf = (file: string) => (statSync(file).mode & 0o777).toString(8)

// Each node starts under the usual umask (022, which leaves new files readable by all), as a shell
// or a service manager without UMask= would start it (a node tightens its process's umask).
const umask = process.umask()
t.teardown(() => process.umask(umask))

t.test('a new node makes its data directory 0700 and its database 0600', async (t) => {
  process.umask(0o022)
  const dataDir = path.join(tempDir(t), 'data')
  const node = await startTestNode(t, { dataDir, worker: 'process' })
  await api(node, 'POST', '/items', { sku: 'ROPE', name: 'Rope', unit: 'm' })
  t.equal(modeOf(dataDir), '700')
  for (const file of [
    'almacen.sqlite',
    'almacen.sqlite-wal',
    'almacen.sqlite-shm',
    'almacen.pid',
    'almacen.listening',
  ]) {
    t.equal(modeOf(path.join(dataDir, file)), '600', file)
  }
})

t.test('a node tightens an open data directory it owns, and logs that it did', async (t) => {
  process.umask(0o022)
  const dataDir = tempDir(t)
  chmodSync(dataDir, 0o755)
  const old = path.join(dataDir, 'almacen.sqlite')
  writeFileSync(old, '')
  chmodSync(old, 0o644)
  const lines: Record<string, unknown>[] = []
  const log = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) })
  await startTestNode(t, { dataDir, worker: 'process', log })
  t.match(
    lines.filter((line) => line.level === 40),
    [
      {
        msg: 'made the data directory private: it was open',
        tightened: [
          { path: dataDir, was: '0755' },
          { path: old, was: '0644' },
        ],
      },
    ]
  )
  t.equal(modeOf(dataDir), '700')
  t.equal(modeOf(old), '600')
})
