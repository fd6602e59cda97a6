import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { DataDirInUse, lockDataDir, releaseDataDirSync } from '../../runtime/data-dir-lock.ts'

t.test('claims the directory, and releases it', async (t) => {
  const dir = t.testdir()
  const release = await lockDataDir(dir)
  t.equal(readFileSync(path.join(dir, 'almacen.pid'), 'utf8'), String(process.pid))
  await release()
  t.notOk(existsSync(path.join(dir, 'almacen.pid')))
})

t.test('refuses a directory held by a live process, naming it', async (t) => {
  const dir = t.testdir()
  const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'])
  t.teardown(() => holder.kill())
  writeFileSync(path.join(dir, 'almacen.pid'), String(holder.pid))
  await t.rejects(lockDataDir(dir), {
    name: 'DataDirInUse',
    pid: holder.pid,
    message: new RegExp(`in use by process ${holder.pid}`),
  })
  await lockDataDir(dir).catch((err) => t.ok(err instanceof DataDirInUse))
})

t.test('releases synchronously, as an exit handler must, and only its own claim', async (t) => {
  const dir = t.testdir()
  const file = path.join(dir, 'almacen.pid')
  await lockDataDir(dir)
  releaseDataDirSync(dir)
  t.notOk(existsSync(file))
  writeFileSync(file, '1') // another process's claim
  releaseDataDirSync(dir)
  t.equal(readFileSync(file, 'utf8'), '1')
  releaseDataDirSync(path.join(dir, 'never-claimed'))
})

t.test('takes over a lock left by a process that died', async (t) => {
  const dir = t.testdir()
  const dead = spawn(process.execPath, ['-e', '0'])
  await once(dead, 'exit')
  writeFileSync(path.join(dir, 'almacen.pid'), String(dead.pid))
  const release = await lockDataDir(dir)
  t.equal(readFileSync(path.join(dir, 'almacen.pid'), 'utf8'), String(process.pid))
  await release()
})
