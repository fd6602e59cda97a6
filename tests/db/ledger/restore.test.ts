// A node whose disk died, rebuilt in the worker from a peer's replica of its log: verbatim, the
// chain checked page by page, the balances set and everything verified before it takes the id.
import t from 'tap'
import type { Knex } from 'knex'
import { pino } from 'pino'
import { runBatch } from '../../../db/batch.ts'
import {
  PROTOCOL_VERSION,
  type FeedPosition,
  type OpName,
  type Payload,
  type Result,
} from '../../../db/contract/index.ts'
import { appendEvents } from '../../../db/events/log.ts'
import { EMPTY_LEDGER } from '../../../db/ledger/hash.ts'
import { checkLedgerAtStart } from '../../../db/ledger/start-check.ts'
import { ledgerState } from '../../../db/ledger/state.ts'
import { ensureIdentity } from '../../../db/operations/node.ts'
import { testDb } from '../../fixtures/test-db.ts'
import { tempDir } from '../../fixtures/temp-dir.ts'
import { databaseFile } from '../../../db/knex-config.ts'
import { openDatabase } from '../../../db/worker-loop.ts'
import { pendingRestoreOf } from '../../../db/ledger/restore.ts'

const log = pino({ level: 'silent' })
let counter = 0
const START: FeedPosition = { events: 0, ledger: EMPTY_LEDGER }

async function call<O extends OpName>(knex: Knex, op: O, payload: Payload<O>) {
  const envelope = {
    v: PROTOCOL_VERSION,
    id: `r-${++counter}`,
    op,
    payload,
    deadline: Date.now() + 60_000,
  }
  const [reply] = await runBatch(knex, [envelope], { log })
  return reply
}

async function ok<O extends OpName>(knex: Knex, op: O, payload: Payload<O>): Promise<Result<O>> {
  const reply = await call(knex, op, payload)
  if (!reply.ok) throw new Error(`${op}: ${reply.error.code} ${reply.error.message}`)
  return reply.data as Result<O>
}

/** The owner's ledger, and a peer holding a whole replica of it (what survives the owner). */
async function ownerAndPeer(t: Parameters<typeof testDb>[0]) {
  const owner = await testDb(t)
  const { id } = await ensureIdentity(owner, 'Norte')
  const inputs: Payload<OpName>[] = [
    { sku: 'A', name: 'Bolt', unit: 'ea', reorderPoint: 5 },
    { sku: 'B', name: 'Rope', unit: 'm' },
  ]
  for (const item of inputs) await ok(owner, 'items.create', item as Payload<'items.create'>)
  for (let i = 0; i < 12; i++) {
    await ok(owner, 'movements.record', {
      type: 'receipt',
      sku: i % 2 ? 'A' : 'B',
      quantity: i + 1,
    })
  }
  await ok(owner, 'movements.record', { type: 'issue', sku: 'A', quantity: 4 })
  await ok(owner, 'items.update', { sku: 'B', patch: { name: 'Rope 10 mm' } })
  await ok(owner, 'movements.record', { type: 'adjustment', sku: 'B', countedQuantity: 3 })
  const peer = await testDb(t)
  let after = START
  for (;;) {
    const page = await ok(owner, 'events.feed', { after, limit: 5, maxBytes: 1_000_000 })
    const applied = await ok(peer, 'replicas.apply', { nodeId: id, name: 'Norte', after, ...page })
    after = applied.replica.cursor
    if (page.upToDate) break
  }
  return { owner, peer, id }
}

/** Restores `into` as `id` from the peer's replica, `limit` events a page. */
async function restore(into: Knex, peer: Knex, id: string, limit = 4) {
  let after = await ok(into, 'ledger.restoreBegin', { nodeId: id })
  for (;;) {
    const page = await ok(peer, 'replicas.feed', { nodeId: id, after, limit, maxBytes: 1e6 })
    if (page.events.length === 0) break
    after = await ok(into, 'ledger.restorePage', { nodeId: id, after, events: page.events })
  }
  return after
}

const rows = (knex: Knex, table: string) =>
  knex(table)
    .select()
    .orderBy(table === 'items' || table === 'balances' ? 'sku' : 'seq')

t.test(
  'an empty node restored from a replica holds the same log, ledger, items and balances, and takes the node id',
  async (t) => {
    const { owner, peer, id } = await ownerAndPeer(t)
    const into = await testDb(t)
    await ensureIdentity(into, 'Norte')
    const position = await restore(into, peer, id)
    const report = await ok(into, 'ledger.restoreFinish', {
      nodeId: id,
      report: { from: { id: 'p', name: 'P' } },
    })
    t.same(await rows(into, 'events'), await rows(owner, 'events'), 'the event log, verbatim')
    t.same(
      await rows(into, 'movements'),
      await rows(owner, 'movements'),
      'the ledger rows and hashes'
    )
    t.same(await rows(into, 'items'), await rows(owner, 'items'))
    const balances = (knex: Knex) =>
      knex('balances').select('sku', 'onHand', 'lastSeq').orderBy('sku')
    t.same(await balances(into), await balances(owner))
    t.equal((await into('node_settings').where({ key: 'id' }).first()).value, id)
    t.match(report, {
      nodeId: id,
      restoredTo: { seq: 14, events: 17, hash: position.ledger.hash },
      from: { id: 'p' },
      verified: { movements: 14, balances: 2 },
    })
    t.same(await ok(into, 'ledger.restoreReport', {}), report, 'kept for GET /ledger/restore')
    t.match(await ok(into, 'ledger.verify', {}), { ok: true })
    t.match(await ok(into, 'movements.record', { type: 'issue', sku: 'A', quantity: 1 }), {
      seq: 15,
      prevHash: position.ledger.hash,
    })
  }
)

t.test(
  'a movement of an item the log never described restores with a placeholder item, dated by its first movement',
  async (t) => {
    const owner = await testDb(t)
    const { id } = await ensureIdentity(owner, 'Norte')
    // Items made before the event log began: in the tables, not in the log.
    const before = '2026-01-01T00:00:00.000Z'
    for (const sku of ['OLD', 'GONE']) {
      await owner('items').insert({
        sku,
        name: 'Before',
        unit: 'ea',
        createdAt: before,
        updatedAt: before,
      })
      await owner('balances').insert({ sku, onHand: 0, updatedAt: before })
    }
    await ok(owner, 'items.create', { sku: 'NEW', name: 'Logged', unit: 'ea' })
    const made: Result<'movements.record'>[] = []
    for (const sku of ['GONE', 'OLD', 'NEW', 'OLD', 'GONE']) {
      made.push(await ok(owner, 'movements.record', { type: 'receipt', sku, quantity: 2 }))
      // Each movement in a millisecond of its own, so the first is told from the later ones.
      while (new Date().toISOString() === made[made.length - 1].createdAt) await Promise.resolve()
    }
    const peer = await testDb(t)
    let after = START
    for (;;) {
      const page = await ok(owner, 'events.feed', { after, limit: 2, maxBytes: 1_000_000 })
      const applied = await ok(peer, 'replicas.apply', {
        nodeId: id,
        name: 'Norte',
        after,
        ...page,
      })
      after = applied.replica.cursor
      if (page.upToDate) break
    }
    const into = await testDb(t)
    await ensureIdentity(into, 'Norte')
    await restore(into, peer, id, 20) // one page: its first movement of each SKU counts
    await ok(into, 'ledger.restoreFinish', { nodeId: id, report: { from: { id: 'p' } } })
    const placeholder = (sku: string, first: number) => ({
      sku,
      name: sku,
      unit: 'unit',
      description: 'restored: the log never described this item',
      createdAt: made[first].createdAt,
    })
    t.match(await into('items').whereIn('sku', ['GONE', 'OLD']).orderBy('sku'), [
      placeholder('GONE', 0),
      placeholder('OLD', 1),
    ])
    t.match(await into('items').where({ sku: 'NEW' }).first(), { name: 'Logged', unit: 'ea' })
    const balances = (knex: Knex) => knex('balances').select('sku', 'onHand').orderBy('sku')
    t.same(await balances(into), await balances(owner))
    t.match(await ok(into, 'ledger.verify', {}), { ok: true })
  }
)

t.test('a node that holds anything is not restored over', async (t) => {
  const { peer, id } = await ownerAndPeer(t)
  const into = await testDb(t)
  await ok(into, 'items.create', { sku: 'X', name: 'X', unit: 'ea' })
  const refused = await call(into, 'ledger.restoreBegin', { nodeId: id })
  t.match(refused, {
    ok: false,
    error: { code: 'CONFLICT', message: /holds 0 movements and 1 items/ },
  })
  t.equal(await into('node_settings').where({ key: 'restore_pending' }).first(), undefined)
  t.ok(peer)
})

t.test('a restore cut short halts writes at start and resumes where the log stands', async (t) => {
  const { owner, peer, id } = await ownerAndPeer(t)
  const into = await testDb(t)
  let after = await ok(into, 'ledger.restoreBegin', { nodeId: id })
  const page = await ok(peer, 'replicas.feed', { nodeId: id, after, limit: 6, maxBytes: 1e6 })
  after = await ok(into, 'ledger.restorePage', { nodeId: id, after, events: page.events })
  await checkLedgerAtStart(into, log)
  t.match(ledgerState(into).halt?.problems, [/restore of node .* was begun and not finished/])
  t.match(await call(into, 'movements.record', { type: 'receipt', sku: 'A', quantity: 1 }), {
    ok: false,
    error: { code: 'LEDGER_HALTED' },
  })
  const other = await call(into, 'ledger.restoreBegin', { nodeId: 'someone-else' })
  t.match(other, { ok: false, error: { code: 'CONFLICT', message: /not finished/ } })
  t.same(await ok(into, 'ledger.restoreBegin', { nodeId: id }), after, 'resumes from its log')
  await restore(into, peer, id)
  await ok(into, 'ledger.restoreFinish', { nodeId: id, report: {} })
  t.equal(ledgerState(into).halt, null, 'writes are taken again')
  t.same(await rows(into, 'movements'), await rows(owner, 'movements'))
})

t.test(
  'a restore begun on a running node: writes refused and its log not served as its own, until it finishes',
  async (t) => {
    const { owner, peer, id } = await ownerAndPeer(t)
    const into = await testDb(t)
    // What /peer/feed serves (events.feedText), and the node's own read of its log (events.feed).
    const feed = () => call(into, 'events.feedText', { after: START, limit: 10, maxBytes: 1e6 })
    const own = () => call(into, 'events.feed', { after: START, limit: 10, maxBytes: 1e6 })
    t.match(await feed(), { ok: true }, 'served before')
    let after = await ok(into, 'ledger.restoreBegin', { nodeId: id })
    const page = await ok(peer, 'replicas.feed', { nodeId: id, after, limit: 6, maxBytes: 1e6 })
    after = await ok(into, 'ledger.restorePage', { nodeId: id, after, events: page.events })
    // The restore fails here (a peer gone, a page refused): the node serves on, as it is.
    const write = () => call(into, 'movements.record', { type: 'receipt', sku: 'A', quantity: 1 })
    t.match(await write(), {
      ok: false,
      error: { code: 'LEDGER_HALTED', message: /restore of node .* was begun and not finished/ },
    })
    t.match(await feed(), {
      ok: false,
      error: {
        code: 'CONFLICT',
        message: `This node is being restored as ${id}: its log is served once the restore finishes`,
      },
    })
    t.match(await own(), { ok: true }, "the node's own reads of its log go on: it opens again")
    // Neither a rebuild nor an acceptance makes the part of another node's log this one's own.
    for (const [op, payload] of [
      ['ledger.rebuild', {}],
      ['ledger.accept', { reason: 'carry on' }],
    ] as const) {
      t.match(await call(into, op, payload), {
        ok: false,
        error: { code: 'LEDGER_HALTED', message: /restore of node .* was begun and not finished/ },
      })
    }
    t.match(await write(), { ok: false, error: { code: 'LEDGER_HALTED' } }, 'still refused')
    await restore(into, peer, id)
    await ok(into, 'ledger.restoreFinish', { nodeId: id, report: {} })
    t.match(await feed(), { ok: true }, 'served once it finishes')
    t.match(await write(), { ok: true }, 'and written on')
    t.ok(owner)
  }
)

t.test(
  'a page that does not follow or does not chain is refused and changes nothing',
  async (t) => {
    const { peer, id } = await ownerAndPeer(t)
    const into = await testDb(t)
    const after = await ok(into, 'ledger.restoreBegin', { nodeId: id })
    const page = await ok(peer, 'replicas.feed', { nodeId: id, after, limit: 6, maxBytes: 1e6 })
    const changed = structuredClone(page.events)
    const row = changed.find((e) => e.type === 'movement.recorded')?.data as { quantity: number }
    row.quantity += 1
    t.match(await call(into, 'ledger.restorePage', { nodeId: id, after, events: changed }), {
      ok: false,
      error: { code: 'LEDGER_BROKEN', message: /does not hash to its hash/ },
    })
    const skipped = { ...after, events: 2 }
    t.match(
      await call(into, 'ledger.restorePage', { nodeId: id, after: skipped, events: page.events }),
      {
        ok: false,
        error: { code: 'CONFLICT' },
      }
    )
    t.equal((await into('events').count({ n: '*' }).first())?.n, 0)
    t.equal((await into('movements').count({ n: '*' }).first())?.n, 0)
  }
)

const memberEvent = (n: number) => ({
  type: 'member.changed' as const,
  subject: `m-${n}`,
  data: { id: `m-${n}` },
  createdAt: new Date().toISOString(),
})

t.test(
  "events that are not the restored node's own (a running node's membership) are dropped, before and during a restore",
  async (t) => {
    const { owner, peer, id } = await ownerAndPeer(t)
    const into = await testDb(t)
    await appendEvents(into, [memberEvent(1), memberEvent(2)]) // joined the network, nothing else
    let after = await ok(into, 'ledger.restoreBegin', { nodeId: id })
    t.same(after, START, 'its own log given up')
    const page = await ok(peer, 'replicas.feed', { nodeId: id, after, limit: 6, maxBytes: 1e6 })
    after = await ok(into, 'ledger.restorePage', { nodeId: id, after, events: page.events })
    await appendEvents(into, [memberEvent(3)]) // cut short, then started without --restore
    t.same(await ok(into, 'ledger.restoreBegin', { nodeId: id }), after, 'resumed where it stood')
    await restore(into, peer, id)
    await ok(into, 'ledger.restoreFinish', { nodeId: id, report: {} })
    t.same(await rows(into, 'events'), await rows(owner, 'events'), 'the log, verbatim')
    await t.rejects(
      into('events').where({ seq: 1 }).delete(),
      /append-only/,
      'the log guarded again'
    )
  }
)

t.test(
  'a ledger restored from replicas that broke forked halts writes, at every start, until accepted',
  async (t) => {
    const { peer, id } = await ownerAndPeer(t)
    const into = await testDb(t)
    await ok(into, 'ledger.restoreBegin', { nodeId: id })
    await restore(into, peer, id)
    const confirm = "restored from B's replica, which broke forked, as every peer's did"
    const report = await ok(into, 'ledger.restoreFinish', { nodeId: id, report: { confirm } })
    t.equal(report.confirm, confirm, 'the report says so')
    t.match(ledgerState(into).halt, { problems: [confirm], action: /accepts it/ })
    const write = () => call(into, 'movements.record', { type: 'receipt', sku: 'A', quantity: 1 })
    t.match(await write(), { ok: false, error: { code: 'LEDGER_HALTED' } })
    // A restart does not lift it: it is kept on disk, as a witness's halt is.
    ledgerState(into).halt = null
    await checkLedgerAtStart(into, log)
    t.match(ledgerState(into).halt?.problems, [confirm])
    await ok(into, 'ledger.accept', { reason: 'checked with the paper trail: this is ours' })
    t.match(await write(), { ok: true }, 'accepted: writes go on')
  }
)

t.test(
  'a restore asked of a database opened for the first time is recorded before its identity',
  async (t) => {
    const log = pino({ level: 'silent' })
    const opened = async (dir: string, restore: boolean) => {
      const { knex } = await openDatabase(databaseFile(dir), 'Toledo', log, { restore })
      try {
        return await pendingRestoreOf(knex)
      } finally {
        await knex.destroy()
      }
    }
    // Killed after this open, its next start asks for the restore to be finished.
    const fresh = tempDir(t)
    t.same(await opened(fresh, true), { nodeId: null, asked: true }, 'a fresh one: asked')
    t.same(await opened(tempDir(t), false), { nodeId: null, asked: false }, 'without --restore')
    // One that had an identity already is the runtime's to ask for (ledger.restoreAsked).
    const known = tempDir(t)
    await opened(known, false)
    t.same(await opened(known, true), { nodeId: null, asked: false }, 'not a first open')
  }
)
