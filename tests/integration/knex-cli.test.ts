// The knex CLI as the README runs it (from the repository root, on the database under
// ALMACEN_DATA_DIR), beside real nodes: it must never drop a warehouse's data by accident. The CLI
// runs as a process; a node runs in this one (its claim on the directory is the runtime's), except
// where a node's start as a process is the point.
// The rollbacks, which must not drop a ledger, are in knex-rollback.test.ts.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import path from 'node:path'
import knexFactory from 'knex'
import t from 'tap'
import { databaseFile, knexConfig } from '../../db/knex-config.ts'
import { KNEXFILE, MIGRATIONS, knexCli, nodeWithStock } from '../fixtures/knex-cli.ts'
import { startProcess, within } from '../fixtures/node-process.ts'
import { tempDir } from '../fixtures/temp-dir.ts'
import { api } from '../fixtures/test-node.ts'
import { ROOT, fromRoot } from '../fixtures/root.ts'

t.test('every knex command refuses while a node runs on the directory, naming it', async (t) => {
  const dataDir = tempDir(t)
  const node = await nodeWithStock(t, dataDir)
  for (const env of [{}, { ALMACEN_ALLOW_DATA_LOSS: '1' }] as Record<string, string>[]) {
    const rollback = await knexCli(['migrate:rollback'], { ALMACEN_DATA_DIR: dataDir, ...env })
    t.equal(rollback.code, 1)
    t.match(
      rollback.stderr,
      `${dataDir} is in use by process ${process.pid}, a running almacen node. Stop that node first`
    )
  }
  const status = await knexCli(['migrate:status'], { ALMACEN_DATA_DIR: dataDir })
  t.equal(status.code, 1, 'even a read of the migrations waits for the node to stop')
  t.match((await api(node, 'GET', '/stock/ROPE')).body, { onHand: 25 }, 'nothing was dropped')
  t.equal(
    readFileSync(path.join(dataDir, 'almacen.pid'), 'utf8'),
    String(process.pid),
    'the node keeps its claim'
  )
})

t.test(
  'no node starts while a knex command holds the directory, and one starts after',
  async (t) => {
    const dataDir = tempDir(t)
    // The CLI loads knexfile.js before anything else; this one then waits, as a long migration would.
    const cli = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `await import('${KNEXFILE}'); console.log('loaded'); process.stdin.resume()`,
      ],
      { cwd: ROOT, env: { ...process.env, ALMACEN_DATA_DIR: dataDir }, stdio: 'pipe' }
    )
    t.teardown(() => cli.kill('SIGKILL'))
    const exited = once(cli, 'exit')
    await once(cli.stdout, 'data', { signal: AbortSignal.timeout(30_000) })
    await t.rejects(startProcess(t, ['--port', '0', '--data-dir', dataDir]), {
      message: new RegExp(`exited with 1 before listening: .*in use by process ${cli.pid}`),
    })

    cli.kill('SIGINT') // Ctrl-C: no 'exit' event, so the knexfile releases on the signal
    const died = await within(exited, 10_000, 'its death of SIGINT')
    t.match(died, [null, 'SIGINT'], 'it still dies of the signal')
    t.notOk(existsSync(path.join(dataDir, 'almacen.pid')), 'and its claim went with it')
    const node = await startProcess(t, ['--port', '0', '--data-dir', dataDir])
    t.match((await api(node, 'GET', '/health')).body, { status: 'ok' })
  }
)

t.test('a status where no node has run yet says so, and makes nothing', async (t) => {
  const dataDir = path.join(tempDir(t), 'data')
  for (const command of ['migrate:status', 'migrate:list']) {
    const status = await knexCli([command], { ALMACEN_DATA_DIR: dataDir })
    t.equal(status.code, 0)
    t.match(status.stdout, `No database at ${databaseFile(dataDir)} yet (nothing was made)`)
    t.match(status.stdout, `all ${MIGRATIONS} migrations are pending`)
    t.notOk(existsSync(dataDir), 'no directory, no database')
  }
})

t.test('/health fails, naming them, when tables go from under a running node', async (t) => {
  const dataDir = tempDir(t)
  const node = await nodeWithStock(t, dataDir)
  t.match(await api(node, 'GET', '/health'), { status: 200, body: { status: 'ok' } })
  // What a rollback under the node did before the CLI took the lock: drop tables behind its back.
  const behind = knexFactory(knexConfig(databaseFile(dataDir)))
  t.teardown(() => behind.destroy())
  await behind.schema.dropTable('members')
  t.match(await api(node, 'GET', '/health'), {
    status: 503,
    body: { status: 'unavailable', worker: { ok: false, error: /lost its tables members/ } },
  })
})

t.test(
  'migrate:make names a new migration after every one there, whatever the clock',
  async (t) => {
    // Into a folder of its own: a stray migration in migrations/ would reach the other tests.
    const made = tempDir(t)
    const run = await knexCli(['migrate:make', 'add_bins', '--migrations-directory', made], {
      ALMACEN_DATA_DIR: tempDir(t),
    })
    t.equal(run.code, 0, run.stderr)
    const [name] = readdirSync(made)
    t.match(name, /^\d{14}_add_bins\.ts$/)
    const newest = readdirSync(fromRoot('migrations')).sort().at(-1) as string
    t.ok(name > newest, `${name} sorts after ${newest}, so it runs last on a new node`)
  }
)
