import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createHash } from 'node:crypto'
import {
  existsSync,
  readdirSync,
  readFileSync,
  realpathSync,
  utimesSync,
  writeFileSync,
} from 'node:fs'
import { connect, createServer } from 'node:net'
import path from 'node:path'
import t from 'tap'
import { DataDirInUse, lockDataDir, releaseDataDirSync } from '../../runtime/data-dir-lock.ts'
import { fromRoot } from '../fixtures/root.ts'

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

t.test(
  'a pid file naming a live process that started after it was written is taken over: the pid went to another process',
  { skip: process.platform !== 'linux' && 'process start times are read from /proc' },
  async (t) => {
    const dir = t.testdir()
    const file = path.join(dir, 'almacen.pid')
    // What a restart of the machine leaves: the node's pid file, and its pid now another's.
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'])
    t.teardown(() => other.kill())
    await once(other, 'spawn')
    writeFileSync(file, String(other.pid))
    const beforeIt = new Date(Date.now() - 3_600_000)
    utimesSync(file, beforeIt, beforeIt)
    const release = await lockDataDir(dir)
    t.equal(readFileSync(file, 'utf8'), String(process.pid), 'taken over')
    await release()
    // The same process, written after it started: its claim, refused as ever.
    writeFileSync(file, String(other.pid))
    await t.rejects(lockDataDir(dir), { name: 'DataDirInUse', pid: other.pid })
  }
)

t.test(
  "a live node's claim holds though its pid file looks older than it (a clock stepped forward)",
  { skip: process.platform !== 'linux' && 'abstract sockets are Linux only' },
  async (t) => {
    const dir = t.testdir()
    const script = `
      const { lockDataDir } = await import(${JSON.stringify(fromRoot('runtime/data-dir-lock.ts'))})
      await lockDataDir(process.argv[1])
      process.stdout.write('held\\n')
      setTimeout(() => {}, 60_000)`
    const holder = spawn(process.execPath, [
      '--import',
      'tsx',
      '--input-type=module',
      '-e',
      script,
      dir,
    ])
    t.teardown(() => holder.kill())
    holder.stdout.setEncoding('utf8')
    await once(holder.stdout, 'data')
    // Written before the clock was put an hour forward: the holder now seems to have started
    // after it.
    const file = path.join(dir, 'almacen.pid')
    const beforeIt = new Date(Date.now() - 3_600_000)
    utimesSync(file, beforeIt, beforeIt)
    await t.rejects(lockDataDir(dir), { name: 'DataDirInUse', pid: holder.pid })
    t.equal(readFileSync(file, 'utf8'), String(holder.pid), 'its pid file stays')
  }
)

t.test(
  'the pid written aside to be linked into place leaves nothing beside the pid file',
  async (t) => {
    const dir = t.testdir()
    const release = await lockDataDir(dir)
    t.same(
      readdirSync(dir),
      ['almacen.pid'],
      'the pid written aside was linked into place, and removed'
    )
    await release()
  }
)

/** A pid file left by a process that has ended. */
async function deadPidFile(dir: string) {
  const dead = spawn(process.execPath, ['-e', '0'])
  await once(dead, 'exit')
  writeFileSync(path.join(dir, 'almacen.pid'), String(dead.pid))
}

t.test('two claims at once over a dead pid file: one wins, the other is refused', async (t) => {
  const dir = t.testdir()
  await deadPidFile(dir)
  const claims = await Promise.allSettled([lockDataDir(dir), lockDataDir(dir)])
  t.equal(claims.filter((c) => c.status === 'fulfilled').length, 1)
  const [refused] = claims.filter((c) => c.status === 'rejected')
  t.match(refused, { reason: { name: 'DataDirInUse' } })
  const [won] = claims.filter((c) => c.status === 'fulfilled')
  if (won?.status === 'fulfilled') await won.value()
  await lockDataDir(dir).then((release) => release(), t.fail)
})

t.test('two processes claiming at the same moment: one holds it, whatever was left', async (t) => {
  // Each loads the lock, says so, and claims when told; the one that wins holds it until its
  // input ends. Told together, both claim at once over the same dead pid file.
  const script = `
    const { lockDataDir } = await import(${JSON.stringify(fromRoot('runtime/data-dir-lock.ts'))})
    process.stdout.write('ready\\n')
    await new Promise((resolve) => process.stdin.once('data', resolve))
    const outcome = await lockDataDir(process.argv[1]).then(() => 'won', (err) => err.name)
    process.stdout.write(outcome + '\\n')
    process.stdin.resume()
    await new Promise((resolve) => process.stdin.once('end', resolve))
    process.exit(0)`
  for (let round = 0; round < 3; round++) {
    const dir = t.testdir()
    await deadPidFile(dir)
    // Killed at 60 s if still there, and at the test's end: a claimant that hangs is not waited
    // for by the line it never says (its end ends the wait).
    const children = [0, 1].map(() =>
      spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, dir], {
        timeout: 60_000,
        killSignal: 'SIGKILL',
      })
    )
    t.teardown(() => children.forEach((child) => child.kill('SIGKILL')))
    const lines = children.map((child) => {
      const said: string[] = []
      let waiter: (() => void) | undefined
      let ended = false
      child.stdout.setEncoding('utf8')
      child.stdout.on('data', (chunk: string) => {
        said.push(...chunk.split('\n').filter(Boolean))
        waiter?.()
      })
      child.on('close', () => ((ended = true), waiter?.())) // its output all read
      return async (count: number) => {
        while (said.length < count) {
          if (ended) throw new Error(`a claimant ended having said: ${said.join(' / ')}`)
          await new Promise<void>((resolve) => (waiter = resolve))
        }
        return said[count - 1]
      }
    })
    t.same(await Promise.all(lines.map((line) => line(1))), ['ready', 'ready'])
    for (const child of children) child.stdin.write('go\n')
    const outcomes = await Promise.all(lines.map((line) => line(2)))
    t.same([...outcomes].sort(), ['DataDirInUse', 'won'], `round ${round}: ${outcomes}`)
    for (const child of children) child.stdin.end()
    await Promise.all(children.map((child) => once(child, 'exit')))
  }
})

/** The kernel's claim on `dir`, as lockDataDir names it (runtime/data-dir-lock.ts). */
const claimName = (dir: string) =>
  `\0almacen-data-dir-${createHash('sha256').update(realpathSync(dir)).digest('hex')}`

t.test(
  'a connection to the claim is closed at once, and cannot hold the release',
  { skip: process.platform !== 'linux' && 'abstract sockets are Linux only' },
  async (t) => {
    const dir = t.testdir()
    const release = await lockDataDir(dir)
    const client = connect(claimName(dir))
    client.on('error', () => undefined)
    await once(client, 'close')
    const stray = connect(claimName(dir)) // connected, or refused: either way not held
    stray.on('error', () => undefined)
    const strayClosed = once(stray, 'close')
    await release()
    await strayClosed
    await lockDataDir(dir).then((again) => again(), t.fail)
  }
)

t.test(
  'a claim held by a process that is no node does not keep the node from its directory',
  { skip: process.platform !== 'linux' && 'abstract sockets are Linux only' },
  async (t) => {
    const dir = t.testdir()
    const squatter = createServer()
    await new Promise<void>((resolve) => squatter.listen(claimName(dir), resolve))
    t.teardown(() => squatter.close())
    const release = await lockDataDir(dir)
    t.equal(readFileSync(path.join(dir, 'almacen.pid'), 'utf8'), String(process.pid))
    await release()
  }
)
