import t from 'tap'
import type { Knex } from 'knex'
import { pino } from 'pino'
import { PROTOCOL_VERSION, type OpName, type Payload } from '../../db/contract/index.ts'
import { runBatch } from '../../db/batch.ts'
import { probeForRoom } from '../../db/disk-full.ts'
import { operations } from '../../db/operations/index.ts'
import { ensureIdentity } from '../../db/operations/node.ts'
import { testDb, tracedStatements } from '../fixtures/test-db.ts'
import { afterCreate, failingCreate } from './failing-table.ts'

const log = pino({ level: 'silent' })
let counter = 0

function envelope<O extends OpName>(op: O, payload: Payload<O>, key?: string) {
  return {
    v: PROTOCOL_VERSION,
    id: `b-${++counter}`,
    op,
    payload,
    deadline: Date.now() + 60_000,
    ...(key ? { key } : {}),
  }
}

function item(sku: string) {
  return envelope('items.create', { sku, name: sku, unit: 'ea' })
}

function receipt(sku: string, quantity: number) {
  return envelope('movements.record', { type: 'receipt', sku, quantity })
}

function issue(sku: string, quantity: number) {
  return envelope('movements.record', { type: 'issue', sku, quantity })
}

async function count(knex: Knex, table: string): Promise<number> {
  return Number((await knex(table).count({ n: '*' }).first())?.n)
}

t.test(
  'every write of a batch commits, and replies come in envelope order with their ids',
  async (t) => {
    const knex = await testDb(t)
    const envelopes = [
      item('A'),
      item('B'),
      receipt('A', 5),
      receipt('B', 7),
      issue('A', 2),
      envelope('stock.get', { sku: 'A' }),
    ]
    const replies = await runBatch(knex, envelopes, { log })
    t.same(
      replies.map((r) => [r.id, r.ok]),
      envelopes.map((e) => [e.id, true])
    )
    t.match(replies[4], { data: { seq: 3, balanceAfter: 3 } })
    t.match(replies[5], { data: { onHand: 3 } }, 'a read sees the writes before it')
    t.same(await knex('balances').orderBy('sku').select('sku', 'onHand'), [
      { sku: 'A', onHand: 3 },
      { sku: 'B', onHand: 7 },
    ])
    t.equal(await count(knex, 'movements'), 3)
  }
)

t.test(
  'a refused write in the middle leaves the others committed and nothing of itself',
  async (t) => {
    const knex = await testDb(t)
    await ensureIdentity(knex, 'Madrid Norte')
    const envelopes = [
      item('A'),
      receipt('A', 5),
      issue('A', 9),
      receipt('A', 1),
      item('A'),
      item('B'),
    ]
    const replies = await runBatch(knex, envelopes, { log })
    t.same(
      replies.map((r) => (r.ok ? 'ok' : r.error.code)),
      ['ok', 'ok', 'INSUFFICIENT_STOCK', 'ok', 'CONFLICT', 'ok']
    )
    t.match(replies[2], { id: envelopes[2].id, error: { message: /short by 4/ } })
    t.same(
      (await knex('movements').orderBy('seq').select('seq', 'delta')).map((m) => [m.seq, m.delta]),
      [
        [1, 5],
        [2, 1],
      ],
      'the refused issue took no seq'
    )
    t.same(await knex('balances').orderBy('sku').select('sku', 'onHand'), [
      { sku: 'A', onHand: 6 },
      { sku: 'B', onHand: 0 },
    ])
    t.match(await operations['ledger.verify'](knex, {}), { ok: true })
  }
)

t.test('a write that fails half-way in a batch leaves no orphan rows', async (t) => {
  const knex = await testDb(t)
  const table = failingCreate('BAD')
  const replies = await runBatch(knex, [item('A'), item('BAD'), item('C')], { log, table })
  t.same(
    replies.map((r) => (r.ok ? 'ok' : r.error.code)),
    ['ok', 'INTERNAL', 'ok']
  )
  t.same(
    (await knex('items').orderBy('sku').select('sku')).map((r) => r.sku),
    ['A', 'C']
  )
  t.same(
    (await knex('balances').orderBy('sku').select('sku')).map((r) => r.sku),
    ['A', 'C']
  )
})

t.test(
  'a failure that ends the whole transaction fails the whole batch: nothing after it commits alone',
  async (t) => {
    const knex = await testDb(t)
    await ensureIdentity(knex, 'Sevilla')
    // As a full disk or an I/O error does: SQLite rolls the whole transaction back.
    const table = afterCreate('LOST', async (trx) => {
      await trx.raw('ROLLBACK')
      throw new Error('database or disk is full')
    })
    const replies = await runBatch(knex, [item('A'), item('LOST'), item('C')], { log, table })
    t.same(
      replies.map((r) => (r.ok ? 'ok' : r.error.code)),
      ['INTERNAL', 'INTERNAL', 'INTERNAL'],
      'every write is told nothing was applied'
    )
    t.equal(await count(knex, 'items'), 0, 'and nothing was: C did not commit on its own')
    const [next] = await runBatch(knex, [item('NEXT')], { log })
    t.match(next, { ok: true }, 'the next batch commits')
    t.equal(await count(knex, 'items'), 1)
  }
)

t.test(
  'a batch whose COMMIT fails leaves nothing open: the next reads never see its writes',
  async (t) => {
    const knex = await testDb(t)
    await ensureIdentity(knex, 'Sevilla')
    // A deferred foreign key fails only at COMMIT, and SQLite then keeps the transaction open.
    await knex.raw('CREATE TABLE parents (id INTEGER PRIMARY KEY)')
    await knex.raw(`CREATE TABLE children (id INTEGER PRIMARY KEY,
      parent INTEGER REFERENCES parents (id) DEFERRABLE INITIALLY DEFERRED)`)
    const table = afterCreate('ORPHAN', (trx) => trx.raw('INSERT INTO children VALUES (1, 42)'))
    const replies = await runBatch(knex, [item('ORPHAN')], { log, table })
    t.match(replies, [{ ok: false, error: { code: 'INTERNAL' } }])
    const [read] = await runBatch(knex, [envelope('items.get', { sku: 'ORPHAN' })], { log })
    t.match(read, { ok: false, error: { code: 'NOT_FOUND' } }, 'the refused batch is not read')
    t.equal(await count(knex, 'children'), 0)
    const [next] = await runBatch(knex, [item('NEXT')], { log })
    t.match(next, { ok: true }, 'and the next batch commits')
    t.equal(await count(knex, 'items'), 1)
  }
)

t.test('a read-only batch answers every envelope', async (t) => {
  const knex = await testDb(t)
  await runBatch(knex, [item('A'), receipt('A', 4)], { log })
  const envelopes = [
    envelope('node.ping', {}),
    envelope('stock.get', { sku: 'A' }),
    envelope('items.get', { sku: 'GHOST' }),
    envelope('ledger.verify', {}),
  ]
  const replies = await runBatch(knex, envelopes, { log })
  t.same(
    replies.map((r) => r.id),
    envelopes.map((e) => e.id)
  )
  t.match(replies, [
    { ok: true, data: { pong: true } },
    { ok: true, data: { sku: 'A', onHand: 4 } },
    { ok: false, error: { code: 'NOT_FOUND' } },
    { ok: true, data: { ok: true } },
  ])
})

t.test(
  'the first write of a batch, alone in its run, takes no savepoint: a refusal or a failure still leaves nothing of it',
  async (t) => {
    const knex = await testDb(t)
    await ensureIdentity(knex, 'Sevilla')
    const statements = await tracedStatements(knex)
    const table = failingCreate('BAD')
    const savepoints = () => statements.filter((sql) => /^(SAVEPOINT|RELEASE)/i.test(sql))

    t.match(await runBatch(knex, [item('A')], { log, table }), [{ ok: true }])
    t.same(savepoints(), [], 'a batch of one write runs it in the transaction itself')

    const events = await count(knex, 'events')
    const replies = await runBatch(knex, [item('BAD'), receipt('A', 3)], { log, table })
    t.same(
      replies.map((r) => (r.ok ? 'ok' : r.error.code)),
      ['INTERNAL', 'ok'],
      'the first write fails; the next, in a savepoint of its own, commits'
    )
    t.same(
      await knex('items').orderBy('sku').pluck('sku'),
      ['A'],
      'nothing of the failed write stays'
    )
    t.equal(await count(knex, 'balances'), 1)
    t.equal(await count(knex, 'events'), events + 1, 'only the receipt is in the log')

    const [again] = await runBatch(knex, [item('A')], { log, table })
    t.match(again, { ok: false, error: { code: 'CONFLICT' } }, 'a refusal, first and alone')
    t.equal(await count(knex, 'events'), events + 1, 'leaves nothing either')
    const taken = savepoints().length
    const [short] = await runBatch(knex, [issue('A', 9)], { log, table })
    t.match(short, { ok: false, error: { code: 'INSUFFICIENT_STOCK' } }, 'a run form refuses')
    const [next] = await runBatch(knex, [receipt('A', 2)], { log, table })
    t.match(next, { ok: true, data: { balanceAfter: 5 } }, 'and the next batch commits')
    t.equal(savepoints().length, taken, 'a run form first and alone takes no savepoint either')
    t.same(await knex('movements').orderBy('seq').pluck('delta'), [3, 2], 'nothing of the refusal')
    t.match(await operations['ledger.verify'](knex, {}), { ok: true })
  }
)

t.test('a malformed envelope fails alone, with the id it had', async (t) => {
  const knex = await testDb(t)
  const broken = { ...item('B'), payload: undefined, key: 'k-1' }
  const envelopes = [item('A'), null, broken, { ...item('C'), v: 99 }, item('D')]
  const replies = await runBatch(knex, envelopes, { log })
  t.match(replies, [
    { ok: true },
    { id: '', ok: false, error: { code: 'BAD_REQUEST' } },
    { id: broken.id, ok: false, error: { code: 'BAD_REQUEST' } },
    { ok: false, error: { code: 'BAD_REQUEST' } },
    { ok: true },
  ])
  t.same(
    (await knex('items').orderBy('sku').select('sku')).map((r) => r.sku),
    ['A', 'D']
  )
})

t.test('the same key twice in one batch applies once and replays the second', async (t) => {
  const knex = await testDb(t)
  const first = { ...receipt('A', 5), key: 'k-1' }
  const again = { ...receipt('A', 5), key: 'k-1' }
  const replies = await runBatch(knex, [item('A'), first, again], { log })
  t.match(replies, [{ ok: true }, { ok: true, data: { seq: 1 } }, { ok: true, replayed: true }])
  t.same(replies[2], { ...replies[1], id: again.id, replayed: true })
  t.equal(await count(knex, 'movements'), 1)
})

t.test(
  'when the batch transaction cannot commit, every write is told nothing applied; reads are served',
  async (t) => {
    const knex = await testDb(t)
    await runBatch(knex, [item('Z'), receipt('Z', 3)], { log })
    // A failure outside any one operation's savepoint: the idempotency record cannot be written.
    await knex.schema.renameTable('idempotency_keys', 'idempotency_keys_gone')
    const read = envelope('stock.get', { sku: 'Z' })
    const envelopes = [item('A'), { ...item('B'), key: 'k-1' }, read]
    const replies = await runBatch(knex, envelopes, { log })
    t.match(replies[2], { id: read.id, ok: true, data: { sku: 'Z', onHand: 3 } })
    t.same(replies.slice(0, 2), [
      {
        v: PROTOCOL_VERSION,
        id: envelopes[0].id,
        ok: false,
        error: {
          code: 'INTERNAL',
          message: 'The transaction could not be committed; nothing was applied',
        },
      },
      {
        v: PROTOCOL_VERSION,
        id: envelopes[1].id,
        ok: false,
        error: {
          code: 'INTERNAL',
          message: 'The transaction could not be committed; nothing was applied',
        },
      },
    ])
    t.equal(
      await count(knex, 'items'),
      1,
      'the first write was rolled back with the rest (Z alone)'
    )
  }
)

t.test('20 issues of 1 against 10 on hand: exactly 10 succeed and stock ends at 0', async (t) => {
  const knex = await testDb(t)
  await runBatch(knex, [item('A'), receipt('A', 10)], { log })
  const issues = Array.from({ length: 20 }, () => issue('A', 1))
  const replies = await runBatch(knex, issues, { log })
  const outcomes = replies.map((r) => (r.ok ? 'ok' : r.error.code))
  t.same(outcomes, [...Array(10).fill('ok'), ...Array(10).fill('INSUFFICIENT_STOCK')])
  t.same(
    replies.slice(0, 10).map((r) => r.ok && (r.data as { balanceAfter: number }).balanceAfter),
    [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]
  )
  t.match(await knex('balances').where({ sku: 'A' }).first(), { onHand: 0, lastSeq: 11 })
  t.equal(await count(knex, 'movements'), 11)
  t.match(await operations['ledger.verify'](knex, {}), {
    ok: true,
    differences: [],
    checked: { movements: 11 },
  })
})

t.test(
  'a full disk: each write fails as DISK_FULL, kept under no key, and the status says so until the probe commits, whatever else does',
  async (t) => {
    const knex = await testDb(t)
    // What the worker logs: a run of refusals is one line, not one each (they filled its disk).
    const said: string[] = []
    const log = pino({ level: 'error' }, { write: (line: string) => void said.push(line) })
    const before = envelope(
      'movements.record',
      { type: 'receipt', sku: 'FULL', quantity: 1 },
      'pre'
    )
    await runBatch(knex, [item('FULL'), before], { log })
    // SQLite's own limit on the file's pages: past it, a write fails as on a disk with no space.
    const [{ pageCount: pages }] = await knex.raw('PRAGMA page_count')
    await knex.raw(`PRAGMA max_page_count = ${pages}`)
    // What room its pages have left is used up first.
    for (let filling = 0; ; filling++) {
      const note = `fill ${filling} `.repeat(100)
      const [reply] = await runBatch(
        knex,
        [envelope('movements.record', { type: 'receipt', sku: 'FULL', quantity: 1, note })],
        { log }
      )
      if (!reply.ok) break
      if (filling > 10_000) throw new Error('the pages never filled')
    }
    const filled = await count(knex, 'movements')
    const receipts = (round: string) =>
      Array.from({ length: 40 }, (_, i) =>
        envelope(
          'movements.record',
          { type: 'receipt', sku: 'FULL', quantity: 1, note: `${round} ${i} `.repeat(40) },
          `full-${i}`
        )
      )
    const replies = await runBatch(knex, receipts('first'), { log })
    t.ok(replies.length > 0)
    for (const reply of replies) {
      t.match(reply, {
        ok: false,
        error: { code: 'DISK_FULL', message: /^The disk that holds the database is full/ },
      })
    }
    t.equal(await count(knex, 'movements'), filled)
    t.equal(
      said.filter((line) => line.includes('the disk is full')).length,
      1,
      '41 writes refused for want of space: one error line'
    )
    // A write answered without changing anything (a key replayed) says nothing of space.
    t.match(await runBatch(knex, [{ ...before, id: 'again' }], { log }), [
      { ok: true, replayed: true },
    ])
    const status = await runBatch(knex, [envelope('ledger.status', {})], { log })
    t.match(status[0], {
      ok: true,
      data: { writes: 'accepted', diskFull: { since: /^\d{4}-/, message: /is full/ } },
    })

    await knex.raw('PRAGMA max_page_count = 1000000000') // space again
    const again = await runBatch(knex, receipts('again'), { log })
    t.ok(
      again.every((reply) => reply.ok && !('replayed' in reply && reply.replayed)),
      'the same keys apply now: nothing was kept under them'
    )
    t.equal(await count(knex, 'movements'), filled + 40)
    // Writes that commit do not end the flag: a small one fits where a movement does not (an ack
    // in a page with room), and ended it while receipts were still refused. The probe does, which
    // such a batch cues (within a second: tests/db/disk-probe.test.ts).
    const diskFullNow = async () =>
      (
        (await runBatch(knex, [envelope('ledger.status', {})], { log }))[0] as {
          data: { diskFull?: unknown }
        }
      ).data.diskFull
    t.ok(await diskFullNow(), 'still said after 40 receipts committed: the probe has not run')
    await probeForRoom(knex, log)
    t.notOk(await diskFullNow(), 'space again, once the probe committed')
  }
)

t.test(
  'a run whose transaction SQLite ended before its savepoint fails whole: no write commits alone',
  async (t) => {
    const knex = await testDb(t)
    await ensureIdentity(knex, 'Sevilla')
    await runBatch(knex, [item('A')], { log })
    // As an I/O error in the run's first read does: SQLite rolls the transaction back, and the
    // run fails with a plain error, outside any savepoint of its own.
    const record = operations['movements.record']
    let runs = 0
    const table = {
      ...operations,
      'movements.record': Object.assign((trx: Knex, p: never) => record(trx, p), record, {
        run: async (trx: Knex, payloads: never[], options?: object) => {
          if (++runs > 1) return record.run?.(trx, payloads, options)
          await trx.raw('ROLLBACK')
          throw new Error('disk I/O error')
        },
      }),
    } as typeof operations
    const replies = await runBatch(knex, [receipt('A', 1), receipt('A', 2)], { log, table })
    t.same(
      replies.map((r) => (r.ok ? 'ok' : r.error.code)),
      ['INTERNAL', 'INTERNAL'],
      'both are told nothing was applied'
    )
    t.equal(await count(knex, 'movements'), 0, 'and nothing was: none committed on its own')
    t.match(await runBatch(knex, [receipt('A', 3)], { log }), [{ ok: true }], 'the next commits')
  }
)
