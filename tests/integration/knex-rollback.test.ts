// The knex CLI's rollbacks on a stopped node's database (from the repository root, as the README
// runs it): a rollback that would drop the ledger, or a column its hashes cover, is refused and
// says why, until it is forced. The CLI runs as a process; the node runs in this one. The CLI
// beside a running node is in knex-cli.test.ts.
import { existsSync } from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { MIGRATIONS, SCHEMA, knexCli, nodeWithStock, tablesIn } from '../fixtures/knex-cli.ts'
import { tempDir } from '../fixtures/temp-dir.ts'
import { api, startTestNode } from '../fixtures/test-node.ts'

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

t.test('migrate:down will not undo who made each row while the hashes cover it', async (t) => {
  const dataDir = tempDir(t)
  const node = await nodeWithStock(t, dataDir)
  await node.close()
  const env = { ALMACEN_DATA_DIR: dataDir }
  // The last ten migrations bounded what a subscription takes, kept the unit a dispatch counts
  // each line in, gave federated topic messages ids that are never given twice, let a reseed
  // delete a replica's rows, showed transfers on the topics as the API does, indexed the
  // replicas' transfers, matched topic patterns word by word, and made federation, the topics and
  // the queues, empty here: they go.
  // The one before added who made each row; every row of this ledger names its user, and its
  // hash covers the name: without the column the ledger would no longer verify.
  for (const migration of [
    '20270205100000_subscriptions_capped',
    '20270201100001_transfer_lines_unit',
    '20270201100000_federated_topic_ids_unique',
    '20270125100000_replica_reseed',
    '20270120100000_transfer_events_on_topics_as_shown',
    '20270115100000_replica_transfers_sent',
    '20270112100000_topic_patterns_word_by_word',
    '20270110100200_create_federations',
    '20270110100100_create_topics',
    '20270110100000_create_queues',
  ]) {
    t.match(await knexCli(['migrate:down'], env), { code: 0, stdout: new RegExp(migration) })
  }
  const refused = await knexCli(['migrate:down'], env)
  t.match(refused, {
    code: 1,
    stderr: /1 ledger rows record who made them.*ALMACEN_ALLOW_DATA_LOSS=1/s,
  })
  const latest = await knexCli(['migrate:latest'], env)
  t.match(latest, { code: 0, stdout: /Batch 2 run: 10 migrations/ }, 'only those ten again')
  t.same(await tablesIn(dataDir), SCHEMA)
  const again = await startTestNode(t, { dataDir })
  t.match((await api(again, 'GET', '/movements')).body.movements, [{ actor: 'admin' }])
  t.match((await api(again, 'GET', '/stock/ROPE')).body, { onHand: 25, inTransit: 0, sent: 0 })
  t.match((await api(again, 'POST', '/ledger/verify')).body, { ok: true })
})
