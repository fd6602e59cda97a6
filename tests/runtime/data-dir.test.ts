import { chmodSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { privateDataDir } from '../../runtime/data-dir.ts'
import { tempDir } from '../fixtures/temp-dir.ts'

const modeOf = (file: string) => statSync(file).mode & 0o777

// privateDataDir sets this process's umask; the other tests here must not inherit it.
const umask = process.umask()
t.teardown(() => process.umask(umask))

t.test('creates a missing directory, and its parents, private to this user', async (t) => {
  const dataDir = path.join(tempDir(t), 'data', 'madrid')
  t.same(await privateDataDir(dataDir), [])
  t.equal(modeOf(dataDir), 0o700)
  t.equal(modeOf(path.dirname(dataDir)), 0o700)
})

t.test('sets a umask that makes what this process creates next private', async (t) => {
  process.umask(0o022)
  const dataDir = tempDir(t)
  await privateDataDir(dataDir)
  t.equal(process.umask(), 0o077)
  writeFileSync(path.join(dataDir, 'almacen.sqlite'), '')
  t.equal(modeOf(path.join(dataDir, 'almacen.sqlite')), 0o600)
})

t.test('tightens an open directory and the files in it, and says what they were', async (t) => {
  const dataDir = tempDir(t)
  chmodSync(dataDir, 0o755)
  writeFileSync(path.join(dataDir, 'almacen.sqlite'), '', { mode: 0o644 })
  writeFileSync(path.join(dataDir, 'almacen.pid'), '', { mode: 0o600 })
  chmodSync(path.join(dataDir, 'almacen.sqlite'), 0o644)
  t.same(await privateDataDir(dataDir), [
    { path: dataDir, was: '0755' },
    { path: path.join(dataDir, 'almacen.sqlite'), was: '0644' },
  ])
  t.equal(modeOf(dataDir), 0o700)
  t.equal(modeOf(path.join(dataDir, 'almacen.sqlite')), 0o600)
  t.equal(modeOf(path.join(dataDir, 'almacen.pid')), 0o600, 'a private file is left as it is')
  t.same(await privateDataDir(dataDir), [], 'the second time there is nothing to do')
})
