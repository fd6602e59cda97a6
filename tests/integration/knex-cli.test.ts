// The knex CLI as the README runs it (from the repository root, on the database under
// ALMACEN_DATA_DIR), beside real nodes: it must never drop a warehouse's data by accident. The CLI
// runs as a process; a node runs in this one (its claim on the directory is the runtime's), except
// where a node's start as a process is the point.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import knexFactory from 'knex'
import t from 'tap'
import { databaseFile, knexConfig } from '../../db/knex-config.ts'
import { runToEnd, startProcess } from '../fixtures/node-process.ts'
import { tempDir } from '../fixtures/temp-dir.ts'
import { api, startTestNode } from '../fixtures/test-node.ts'
import { ROOT, fromRoot } from '../fixtures/root.ts'

/** What `npx knex` runs. */
const KNEX = path.join(ROOT, 'node_modules/.bin/knex')
const KNEXFILE = pathToFileURL(fromRoot('knexfile.js')).href

function knexCli(args: string[], env: Record<string, string>) {
  return runToEnd(KNEX, args, { cwd: ROOT, env: { ...process.env, ...env } })
}

/** The tables of a stopped node's database, read straight from its file. */
async function tablesIn(dataDir: string): Promise<string[]> {
  const knex = knexFactory(knexConfig(databaseFile(dataDir)))
  try {
    const rows: { name: string }[] = await knex('sqlite_master')
      .where({ type: 'table' })
      .whereNot('name', 'like', 'sqlite_%')
      .orderBy('name')
      .select('name')
    return rows.map((row) => row.name)
  } finally {
    await knex.destroy()
  }
}

const MIGRATIONS = readdirSync(fromRoot('migrations')).length

const SCHEMA = [
  'api_tokens',
  'balances',
  'events',
  'federations',
  'idempotency_keys',
  'inbox_log',
  'items',
  'knex_migrations',
  'knex_migrations_lock',
  'ledger_acceptances',
  'ledger_head',
  'members',
  'messaging_grants',
  'movements',
  'node_settings',
  'outbox',
  'queue_message_ids',
  'queue_messages',
  'queues',
  'replica_balances',
  'replica_events',
  'replica_items',
  'replica_movements',
  'replicas',
  'topic_message_ids',
  'topic_messages',
  'topic_subscriptions',
  'topics',
  'transfer_lines',
  'transfer_receipts',
  'transfers',
  'users',
]

async function nodeWithStock(t: Parameters<typeof startTestNode>[0], dataDir: string) {
  const node = await startTestNode(t, { dataDir })
  await api(node, 'POST', '/items', { sku: 'ROPE', name: 'Rope', unit: 'm' })
  await api(node, 'POST', '/movements', { type: 'receipt', sku: 'ROPE', quantity: 25 })
  return node
}

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
    await once(cli.stdout, 'data')
    await t.rejects(startProcess(t, ['--port', '0', '--data-dir', dataDir]), {
      message: new RegExp(`exited with 1 before listening: .*in use by process ${cli.pid}`),
    })

    cli.kill('SIGINT') // Ctrl-C: no 'exit' event, so the knexfile releases on the signal
    t.match(await exited, [null, 'SIGINT'], 'it still dies of the signal')
    t.notOk(existsSync(path.join(dataDir, 'almacen.pid')), 'and its claim went with it')
    const node = await startProcess(t, ['--port', '0', '--data-dir', dataDir])
    t.match((await api(node, 'GET', '/health')).body, { status: 'ok' })
  }
)

t.test(
  'a rollback that would drop the ledger is refused, naming it, until it is forced',
  async (t) => {
    const dataDir = tempDir(t)
    const node = await nodeWithStock(t, dataDir)
    await node.close()
    const env = { ALMACEN_DATA_DIR: dataDir }

    const status = await knexCli(['migrate:status'], env)
    t.equal(status.code, 0)
    t.match(
      status.stdout,
      new RegExp(
        `Found ${MIGRATIONS} Completed Migration file/files\\.[\\s\\S]*No Pending Migration`
      )
    )
    const latest = await knexCli(['migrate:latest'], env)
    t.equal(latest.code, 0)
    t.match(latest.stdout, 'Already up to date')

    const refused = await knexCli(['migrate:rollback'], env)
    t.equal(refused.code, 1)
    t.match(refused.stderr, /Refusing to roll back: it would drop .*movements \(1 row: the ledger/)
    t.match(refused.stderr, /node_settings \(\d+ rows: this node's identity/)
    t.match(refused.stderr, 'run the rollback again with ALMACEN_ALLOW_DATA_LOSS=1')
    t.same(await tablesIn(dataDir), SCHEMA)
    t.notOk(existsSync(path.join(dataDir, 'almacen.pid')), 'the CLI let go after its error')

    const again = await startTestNode(t, { dataDir })
    t.match((await api(again, 'GET', '/stock/ROPE')).body, { onHand: 25 })
    t.equal(again.identity.id, node.identity.id, 'the same node, not a new identity')
    await again.close()

    const forced = await knexCli(['migrate:rollback'], { ...env, ALMACEN_ALLOW_DATA_LOSS: '1' })
    t.equal(forced.code, 0)
    t.match(forced.stdout, `Batch 1 rolled back: ${MIGRATIONS} migrations`)
    t.same(await tablesIn(dataDir), ['knex_migrations', 'knex_migrations_lock'])
    t.equal((await knexCli(['migrate:latest'], env)).code, 0)
    t.same(await tablesIn(dataDir), SCHEMA)
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

t.test('migrate:down will not undo who made each row while the hashes cover it', async (t) => {
  const dataDir = tempDir(t)
  const node = await nodeWithStock(t, dataDir)
  await node.close()
  const env = { ALMACEN_DATA_DIR: dataDir }
  // The last seven migrations let a reseed delete a replica's rows, showed transfers on the
  // topics as the API does, indexed the replicas' transfers, matched topic patterns word by
  // word, and made federation, the topics and the queues, empty here: they go. The one before
  // added who made each row; every row of this ledger names its user, and its hash covers the
  // name: without the column the ledger would no longer verify.
  t.match(await knexCli(['migrate:down'], env), {
    code: 0,
    stdout: /20270125100000_replica_reseed/,
  })
  t.match(await knexCli(['migrate:down'], env), {
    code: 0,
    stdout: /20270120100000_transfer_events_on_topics_as_shown/,
  })
  t.match(await knexCli(['migrate:down'], env), {
    code: 0,
    stdout: /20270115100000_replica_transfers_sent/,
  })
  t.match(await knexCli(['migrate:down'], env), {
    code: 0,
    stdout: /20270112100000_topic_patterns_word_by_word/,
  })
  t.match(await knexCli(['migrate:down'], env), {
    code: 0,
    stdout: /20270110100200_create_federations/,
  })
  t.match(await knexCli(['migrate:down'], env), { code: 0, stdout: /20270110100100_create_topics/ })
  t.match(await knexCli(['migrate:down'], env), { code: 0, stdout: /20270110100000_create_queues/ })
  const refused = await knexCli(['migrate:down'], env)
  t.match(refused, {
    code: 1,
    stderr: /1 ledger rows record who made them.*ALMACEN_ALLOW_DATA_LOSS=1/s,
  })
  const latest = await knexCli(['migrate:latest'], env)
  t.match(latest, { code: 0, stdout: /Batch 2 run: 7 migrations/ }, 'only those seven again')
  t.same(await tablesIn(dataDir), SCHEMA)
  const again = await startTestNode(t, { dataDir })
  t.match((await api(again, 'GET', '/movements')).body.movements, [{ actor: 'admin' }])
  t.match((await api(again, 'GET', '/stock/ROPE')).body, { onHand: 25, inTransit: 0, sent: 0 })
  t.match((await api(again, 'POST', '/ledger/verify')).body, { ok: true })
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
