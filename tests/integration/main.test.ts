import t from 'tap'
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { exitOf, runMain as run, startProcess as startMain } from '../fixtures/node-process.ts'
import { tempDir } from '../fixtures/temp-dir.ts'
import { api } from '../fixtures/test-node.ts'

t.test(
  'prints the configuration at start, stops cleanly on SIGTERM, and keeps what it wrote',
  async (t) => {
    const dataDir = tempDir(t)
    const node = await startMain(t, ['--port', '0', '--data-dir', dataDir, '--name', 'Sevilla'])
    t.match(node.lines[0], {
      msg: 'almacen starting',
      config: { dataDir, name: 'Sevilla', port: 0, clusterKey: 'not set' },
    })
    t.ok(
      node.lines.some((l) => l.msg === 'database worker ready'),
      'the worker reported ready'
    )
    await api(node, 'POST', '/items', { sku: 'ROPE', name: 'Rope', unit: 'm' })
    t.equal(
      (await api(node, 'POST', '/movements', { type: 'receipt', sku: 'ROPE', quantity: 25 }))
        .status,
      201
    )
    node.child.kill('SIGTERM')
    t.equal(await exitOf(node), 0, 'the node exited cleanly')
    t.ok(node.lines.some((l) => l.msg === 'stopped'))

    const again = await startMain(t, ['--port', '0', '--data-dir', dataDir])
    t.match((await api(again, 'GET', '/stock/ROPE')).body, { onHand: 25 }, 'the receipt is on disk')
    again.child.kill('SIGINT')
    t.equal(await exitOf(again), 0, 'Ctrl-C stops it cleanly too')
  }
)

t.test(
  'refuses a second node on the same data directory, naming the process that holds it',
  async (t) => {
    const dataDir = tempDir(t)
    const first = await startMain(t, ['--port', '0', '--data-dir', dataDir])
    const second = await run(['--port', '0', '--data-dir', dataDir])
    t.equal(second.code, 1)
    t.match(second.stdout, new RegExp(`in use by process ${first.child.pid}`))
    t.equal(
      second.stderr,
      `almacen: The data directory ${dataDir} is in use by process ${first.child.pid}; stop that node or choose another --data-dir\n`,
      'said as a sentence on stderr, as a busy port is, not only in the log'
    )
    t.match(
      (await api(first, 'GET', '/health')).body,
      { status: 'ok' },
      'the first node is unharmed'
    )
  }
)

t.test('explains a bad setting and exits 2; --help prints the usage', async (t) => {
  const badPort = await run(['--port', 'eighty'])
  t.equal(badPort.code, 2)
  t.match(badPort.stderr, /--port must be a whole number from 0 to 65535, not "eighty"/)
  t.equal(
    badPort.stderr,
    'almacen: --port must be a whole number from 0 to 65535, not "eighty"\n(npm start -- --help lists every setting)\n',
    'the reason, and where the settings are: not the usage, which would bury it in a log'
  )
  const unknown = await run(['--colour', 'blue'])
  t.equal(unknown.code, 2)
  t.match(unknown.stderr, /colour/)
  const badEnv = await run([], { ALMACEN_PORT: '70000' })
  t.equal(badEnv.code, 2)
  t.match(badEnv.stderr, /--port must be/)
  const help = await run(['--help'])
  t.equal(help.code, 0)
  t.match(help.stdout, /--data-dir <dir>\s+ALMACEN_DATA_DIR/)
})

t.test('a port in use is said as a sentence, with what to do, not as a stack', async (t) => {
  const { createServer } = await import('node:net')
  const taken = createServer()
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve))
  t.teardown(() => taken.close())
  const port = String((taken.address() as { port: number }).port)
  const started = await run(['--port', port, '--data-dir', tempDir(t)])
  t.equal(started.code, 1)
  t.match(
    started.stderr,
    new RegExp(
      `^almacen: port ${port} on 127\\.0\\.0\\.1 is already in use .*--port or ALMACEN_PORT\\n$`
    )
  )
  // The log says it too, as the same sentence with the error's code: no stack above it.
  const lines = started.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line))
  const fatal = lines.find((line) => line.level === 60)
  t.match(fatal, { code: 'EADDRINUSE', msg: /^port \d+ on 127\.0\.0\.1 is already in use/ })
  t.notOk(started.stdout.includes('"stack"'), 'no stack in the log')
})

t.test('a data directory that is a file, or a database that is not one, is said too', async (t) => {
  const dir = tempDir(t)
  const file = path.join(dir, 'not-a-folder')
  writeFileSync(file, 'x')
  const onFile = await run(['--port', '0', '--data-dir', file])
  t.equal(onFile.code, 1)
  t.match(
    onFile.stderr,
    new RegExp(
      `^almacen: the data directory ${file} is a file, or inside one \\(EEXIST on ${file}\\): choose a folder with --data-dir or ALMACEN_DATA_DIR\\n$`
    )
  )

  const broken = tempDir(t)
  writeFileSync(path.join(broken, 'almacen.sqlite'), Buffer.alloc(8192, 7), { mode: 0o600 })
  const notDb = await run(['--port', '0', '--data-dir', broken])
  t.equal(notDb.code, 1)
  t.match(
    notDb.stderr,
    new RegExp(
      `^almacen: ${path.join(broken, 'almacen.sqlite')} is not a database almacen can read, or it is damaged \\(SQLITE_NOTADB\\): restore it from a backup \\(the README's Backups\\)`
    )
  )
})
