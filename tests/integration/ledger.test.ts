// The ledger's defences on a real node and a real SQLite file: a verify that does not stop the
// warehouse, and the attacks of issue 9 made with a raw SQLite connection while the node is
// stopped, then seen by the restarted node (its check at start), by verify, rebuild and accept.
import { copyFile } from 'node:fs/promises'
import path from 'node:path'
import Database from 'better-sqlite3'
import t, { type Test } from 'tap'
import { seedDatabase } from '../../bench/seed.ts'
import type { Movement } from '../../db/contract/index.ts'
import { databaseFile } from '../../db/knex-config.ts'
import { hashMovement } from '../../db/ledger/hash.ts'
import { tempDir } from '../fixtures/temp-dir.ts'
import { api, startTestNode } from '../fixtures/test-node.ts'

const receipt = (sku: string, quantity = 1) => ({ type: 'receipt', sku, quantity })

t.test('a verify of a big ledger runs between other requests: /health stays 200', async (t) => {
  const dataDir = tempDir(t)
  await seedDatabase(databaseFile(dataDir), { items: 100, movements: 30_000 })
  const node = await startTestNode(t, { dataDir })
  let verified = false
  // Settled either way (api gives up after 60 s), so the loop below always ends.
  const verifying = api(node, 'POST', '/ledger/verify', {}).finally(() => (verified = true))
  const during: number[] = []
  let receipts = 0
  while (!verified) {
    const health = await api(node, 'GET', '/health')
    if (!verified) during.push(health.status)
    if ((await api(node, 'POST', '/movements', receipt('SKU-000001'))).status === 201) receipts++
  }
  const { status, body } = await verifying
  t.equal(status, 200)
  t.match(body, { ok: true, differences: [] })
  t.ok(body.checked.movements >= 30_000, `${body.checked.movements} movements checked`)
  t.ok(during.length >= 3, `${during.length} health checks answered while the verify ran`)
  t.same([...new Set(during)], [200])
  t.ok(receipts >= 1, `${receipts} receipts recorded meanwhile`)
  t.match((await api(node, 'POST', '/ledger/verify', {})).body, {
    ok: true,
    checked: { movements: 30_000 + receipts },
  })
})

// One small ledger made through the API, copied for each attack.
const base = tempDir(t, 'base')
t.before(async () => {
  const node = await startTestNode(t, { dataDir: base })
  for (const sku of ['BOLT-M8', 'NUT-M8'])
    await api(node, 'POST', '/items', { sku, name: sku, unit: 'ea' })
  for (const [sku, quantity] of [
    ['BOLT-M8', 100],
    ['NUT-M8', 50],
    ['BOLT-M8', 20],
    ['NUT-M8', 5],
    ['BOLT-M8', 30],
  ] as const)
    await api(node, 'POST', '/movements', receipt(sku, quantity))
  await api(node, 'POST', '/movements', { type: 'issue', sku: 'NUT-M8', quantity: 10 }) // #6
  await node.close()
})

/** A copy of the base ledger, changed with a raw SQLite connection, and a node started on it. */
async function attacked(t: Test, attack: (db: Database.Database) => void) {
  const dataDir = tempDir(t)
  await copyFile(databaseFile(base), databaseFile(dataDir))
  await copyFile(path.join(base, 'admin-token'), path.join(dataDir, 'admin-token'))
  const db = new Database(databaseFile(dataDir))
  db.exec('DROP TRIGGER movements_append_only_update; DROP TRIGGER movements_append_only_delete')
  attack(db)
  db.close()
  return startTestNode(t, { dataDir })
}

/** What a halted node must do: refuse every write with the code, serve reads, say why. */
async function assertHalted(t: Test, node: { url: string }, why: string) {
  const moved = await api(node, 'POST', '/movements', receipt('BOLT-M8'))
  t.equal(moved.status, 409)
  t.match(moved.body, { code: 'LEDGER_HALTED', error: new RegExp(`did not check out.*${why}`) })
  t.match(moved.body.error, /POST \/ledger\/rebuild.*POST \/ledger\/accept/)
  const item = await api(node, 'POST', '/items', { sku: 'WASHER', name: 'Washer', unit: 'ea' })
  t.match(item, { status: 409, body: { code: 'LEDGER_HALTED' } })
  const patch = await api(node, 'PATCH', '/items/BOLT-M8', { name: 'Bolt' })
  t.match(patch, { status: 409, body: { code: 'LEDGER_HALTED' } })
  t.match(await api(node, 'GET', '/stock/BOLT-M8'), { status: 200, body: { sku: 'BOLT-M8' } })
  t.match(await api(node, 'GET', '/movements?limit=2'), { status: 200 })
  const health = await api(node, 'GET', '/health')
  t.equal(health.status, 200)
  t.match(health.body, {
    status: 'degraded',
    ledger: { writes: 'refused', halt: { problems: [why] } },
  })
}

t.test(
  'a ledger cut short with its balance fixed: a restart refuses writes, rebuild refuses to launder it, an acceptance lifts the halt',
  async (t) => {
    const node = await attacked(t, (db) => {
      db.exec(`DELETE FROM movements WHERE seq = 6;
      UPDATE balances SET on_hand = 55, last_seq = 4 WHERE sku = 'NUT-M8'`)
    })
    const why = 'movement 6 was removed from the end'
    await assertHalted(t, node, why)
    t.match((await api(node, 'POST', '/ledger/verify', {})).body, {
      ok: false,
      differences: [{ kind: 'head', seq: 6, message: why }],
    })
    const rebuilt = await api(node, 'POST', '/ledger/rebuild', {})
    t.equal(rebuilt.status, 409)
    t.match(rebuilt.body, { code: 'LEDGER_BROKEN', error: new RegExp(`chain is broken.*${why}`) })

    const reason = 'the issue of 10 nuts was never made; agreed with the warehouse'
    const accepted = await api(node, 'POST', '/ledger/accept', { reason })
    t.match(accepted, { status: 200, body: { reason, head: { seq: 5 }, problems: [why] } })
    t.match(await api(node, 'POST', '/movements', receipt('BOLT-M8')), {
      status: 201,
      body: { seq: 6 },
    })
    t.match((await api(node, 'GET', '/health')).body, {
      status: 'ok',
      ledger: { writes: 'accepted' },
    })
    t.match((await api(node, 'POST', '/ledger/verify', {})).body, { ok: true })
  }
)

t.test(
  'an edited balance: a restart refuses writes, a rebuild fixes it and lifts the halt',
  async (t) => {
    const node = await attacked(t, (db) => {
      db.exec(`UPDATE balances SET on_hand = 1150 WHERE sku = 'BOLT-M8'`)
    })
    await assertHalted(t, node, 'BOLT-M8 shows 1150 on hand, the ledger sums to 150')
    const rebuilt = await api(node, 'POST', '/ledger/rebuild', {})
    t.match(rebuilt, {
      status: 200,
      body: { changes: [{ sku: 'BOLT-M8', before: 1150, after: 150 }] },
    })
    t.match(
      await api(node, 'POST', '/movements', { type: 'issue', sku: 'BOLT-M8', quantity: 151 }),
      {
        status: 409,
        body: { code: 'INSUFFICIENT_STOCK' },
      },
      'the stock that existed only in the balance cannot be sold'
    )
    t.match(await api(node, 'POST', '/movements', receipt('BOLT-M8')), { status: 201 })
  }
)

t.test(
  'a movement edited in the middle without re-hashing: verify names it, rebuild refuses',
  async (t) => {
    const node = await attacked(t, (db) => {
      db.exec(`UPDATE movements SET reference = 'PO-FORGED' WHERE seq = 3`)
    })
    // The check at start looks at the head and the balances only, not the whole chain (a verify).
    t.match((await api(node, 'GET', '/health')).body, { status: 'ok' })
    t.match((await api(node, 'POST', '/ledger/verify', {})).body, {
      ok: false,
      differences: [
        { kind: 'hash', seq: 3, message: 'movement 3 was changed after it was written' },
      ],
    })
    t.match(await api(node, 'POST', '/ledger/rebuild', {}), {
      status: 409,
      body: { code: 'LEDGER_BROKEN', error: /movement 3 was changed after it was written/ },
    })
  }
)

/** Edits movement 3 and re-hashes every row after it, as a tamperer who read the code would. */
function editAndRehash(db: Database.Database): string {
  const rows = db.prepare('SELECT * FROM movements ORDER BY seq').all() as Record<string, never>[]
  let prevHash = '0'.repeat(64)
  const update = db.prepare(
    'UPDATE movements SET reference = ?, prev_hash = ?, hash = ? WHERE seq = ?'
  )
  for (const r of rows) {
    const row: Omit<Movement, 'hash'> = {
      seq: r.seq,
      type: r.type,
      sku: r.sku,
      quantity: r.quantity,
      delta: r.delta,
      countedQuantity: r.counted_quantity,
      balanceAfter: r.balance_after,
      reference: r.seq === 3 ? 'PO-FORGED' : r.reference,
      note: r.note,
      createdAt: r.created_at,
      prevHash,
      actor: r.actor,
    }
    prevHash = hashMovement(row)
    update.run(row.reference, row.prevHash, prevHash, row.seq)
  }
  return prevHash
}

t.test(
  'a ledger edited and re-hashed to its end halts at start: the anchor disagrees',
  async (t) => {
    const node = await attacked(t, (db) => void editAndRehash(db))
    await assertHalted(t, node, 'movement 6 is not the one the head anchor recorded')
  }
)

t.test('a ledger re-hashed with its anchor too passes: the limit the README states', async (t) => {
  const node = await attacked(t, (db) => {
    db.prepare('UPDATE ledger_head SET hash = ?').run(editAndRehash(db))
  })
  t.match((await api(node, 'GET', '/health')).body, { status: 'ok' })
  t.match((await api(node, 'POST', '/ledger/verify', {})).body, { ok: true })
})
