// The bench's correctness checks, at a tiny size, so `npm run bench` cannot rot unnoticed: every
// server it compares must keep the ledger whole and leave exactly one row per acknowledged write.
// No timing is asserted here.
import { copyFile } from 'node:fs/promises'
import path from 'node:path'
import t from 'tap'
import Database from 'better-sqlite3'
import { databaseFile } from '../../db/knex-config.ts'
import { auditWrites, checkLedger, countRows } from '../../bench/check.ts'
import { runLoad } from '../../bench/load.ts'
import { seedDatabase } from '../../bench/seed.ts'
import { SERVERS, startServer } from '../../bench/server-process.ts'

const size = { items: 20, movements: 300 }

t.test('the seeded ledger verifies, with every item balanced', async (t) => {
  const dir = t.testdir()
  await seedDatabase(databaseFile(dir), size)
  t.match(await checkLedger(dir), { ok: true, differences: 0, movements: 300, idempotencyKeys: 0 })
})

t.test('a balance changed behind the ledger is caught', async (t) => {
  const dir = t.testdir()
  await seedDatabase(databaseFile(dir), size)
  const db = new Database(databaseFile(dir))
  db.prepare(`UPDATE balances SET on_hand = on_hand + 1 WHERE sku = 'SKU-000001'`).run()
  db.close()
  t.match(await checkLedger(dir), { ok: false, differences: 1 })
})

t.test('the write audit refuses a lost write, an unrecorded key and a surplus row', async (t) => {
  const before = { movements: 10, idempotencyKeys: 0 }
  const after = { ok: true, differences: 0, movements: 15, idempotencyKeys: 5 }
  t.same(auditWrites(before, after, 5, 0), { ok: true, problems: [] })
  t.match(auditWrites(before, after, 6, 0).problems, [/6 writes acknowledged, 5 in ledger/])
  t.match(auditWrites(before, after, 3, 1).problems, [/5 movements added for 3/])
  t.match(auditWrites(before, { ...after, idempotencyKeys: 4 }, 5, 0).problems, [/4 idempotency/])
  t.match(auditWrites(before, { ...after, ok: false, differences: 2 }, 5, 0).problems, [/verify/])
})

const template = t.testdir()
t.before(() => seedDatabase(databaseFile(template), size))

for (const spec of SERVERS) {
  t.test(`${spec.name}: acknowledged receipts land in a ledger that verifies`, async (t) => {
    const dir = t.testdir()
    await copyFile(databaseFile(template), databaseFile(dir))
    const server = await startServer(spec, dir)
    t.teardown(() => server.stop())
    t.ok(server.readyMs > 0, `${spec.name} answered /health`)

    const before = await countRows(dir)
    const load = { url: server.url, connections: 4, duration: 30, items: size.items }
    const receipts = await runLoad({ ...load, kase: 'receipt', amount: 40, runId: 't-r' })
    const mix = await runLoad({ ...load, kase: 'mix', amount: 40, runId: 't-m' })
    const list = await runLoad({ ...load, kase: 'list', amount: 12, runId: 't-l' })
    t.match(receipts, { responses: 40, acknowledged: 40, errors: 0 })
    t.match(mix, { responses: 40, acknowledged: 20, errors: 0 })
    t.match(list, { responses: 12, acknowledged: 0, errors: 0 })

    const after = await checkLedger(dir, spec.name === 'almacen' ? server.url : undefined)
    t.match(after, { ok: true, movements: 360, idempotencyKeys: 60 })
    if (spec.name === 'almacen') t.equal(after.viaApi, true, 'POST /ledger/verify agrees')
    t.same(auditWrites(before, after, 60, 0), { ok: true, problems: [] })
    t.equal(path.basename(server.logFile), `${spec.name}.log`)
  })
}
