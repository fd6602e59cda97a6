import knexFactory, { type Knex } from 'knex'
import { pino } from 'pino'
import t from 'tap'
import { runBatch } from '../../../db/batch.ts'
import type { RequestEnvelope } from '../../../db/contract/index.ts'
import { dispatch } from '../../../db/dispatch.ts'
import { knexConfig } from '../../../db/knex-config.ts'
import { checkLedgerAtStart } from '../../../db/ledger/start-check.ts'
import { hashMovement } from '../../../db/ledger/hash.ts'
import { accept, rebuild, status, verify } from '../../../db/operations/ledger.ts'
import { ledgerFile } from '../../fixtures/ledger-file.ts'

const SKU = 'SKU-000001'

/** A logger whose lines the test reads. */
function capture() {
  const lines: { level: number; msg: string; problems?: string[] }[] = []
  const log = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) })
  return { log, lines }
}

let n = 0
function envelope(op: string, payload: unknown, key?: string): RequestEnvelope {
  return { v: 1, id: `e${++n}`, op, payload, key, deadline: Date.now() + 60_000 } as RequestEnvelope
}
const receipt = (key?: string) =>
  envelope('movements.record', { type: 'receipt', sku: SKU, quantity: 1 }, key)

/** What a tamperer does first: the append-only triggers stand in the way. */
async function dropAppendOnly(knex: Knex) {
  await knex.raw('DROP TRIGGER movements_append_only_update')
  await knex.raw('DROP TRIGGER movements_append_only_delete')
}

/** The attack of issue 9: delete the last movement, and set its item's balance to match. */
async function cutLastRow(knex: Knex): Promise<number> {
  await dropAppendOnly(knex)
  const last = await knex('movements').orderBy('seq', 'desc').first()
  await knex('movements').where({ seq: last.seq }).delete()
  const before = await knex('movements').where({ sku: last.sku }).orderBy('seq', 'desc').first()
  await knex('balances')
    .where({ sku: last.sku })
    .update({ onHand: before?.balanceAfter ?? 0, lastSeq: before?.seq ?? null })
  return last.seq
}

/** The same database as a restarted worker sees it: a new handle, nothing in memory. */
function reopen(t: { teardown(fn: () => unknown): void }, knex: Knex): Knex {
  const again = knexFactory(knexConfig(knex.client.config.connection.filename))
  t.teardown(() => again.destroy())
  return again
}

t.test(
  'a clean ledger checks out at start, saying so at info, and writes are served',
  async (t) => {
    const knex = await ledgerFile(t, 500)
    const { log, lines } = capture()
    await checkLedgerAtStart(knex, log)
    t.match(lines, [
      { level: 30, head: 500, msg: 'ledger head and balances check out (500 movements)' },
    ])
    t.match(await status(knex), { writes: 'accepted', halt: null })
    t.match(await dispatch(knex, receipt(), { log }), { ok: true, data: { seq: 501 } })
  }
)

t.test(
  'an edited balance halts writes at start: movements and item changes refused, reads served',
  async (t) => {
    const knex = await ledgerFile(t, 500)
    const stock = await knex('balances').where({ sku: SKU }).first()
    await knex('balances')
      .where({ sku: SKU })
      .update({ onHand: stock.onHand + 1000 })
    const { log, lines } = capture()
    await checkLedgerAtStart(knex, log)

    const problem = `${SKU} shows ${stock.onHand + 1000} on hand, the ledger sums to ${stock.onHand}`
    t.match(lines, [
      { level: 50, msg: /writes are refused until an admin acts/, problems: [problem] },
    ])
    t.match(await status(knex), { writes: 'refused', halt: { problems: [problem] } })
    t.equal((await status(knex)).halt?.problems.length, 1)
    const refused = {
      ok: false,
      error: {
        code: 'LEDGER_HALTED',
        message: `Writes are refused: the ledger did not check out when the node started (${problem}). An admin can run POST /ledger/verify to see every difference, then POST /ledger/rebuild if only balances drifted, or POST /ledger/accept with a reason to accept the ledger as it stands.`,
        details: { problems: [problem] },
      },
    }
    t.match(await dispatch(knex, receipt('k-1'), { log }), refused)
    const item = { sku: 'NEW-1', name: 'New', unit: 'ea' }
    t.match(await dispatch(knex, envelope('items.create', item), { log }), refused)
    const patch = { sku: SKU, patch: { name: 'Renamed' } }
    t.match(await dispatch(knex, envelope('items.update', patch), { log }), refused)
    const fileLines = [{ line: 2, item }]
    const imported = envelope('items.import', { lines: fileLines, mode: 'all', existing: 'update' })
    t.match(await dispatch(knex, imported, { log }), refused, 'an import')
    const adopt = envelope('items.adopt', { sku: 'PEER-1', from: 'peer-node' })
    t.match(await dispatch(knex, adopt, { log }), refused, 'an adoption')
    t.notOk(await knex('items').where({ sku: 'NEW-1' }).first(), 'no item made')
    // A rejection may book receipts taken on trust off the ledger: refused before it is looked at.
    const reject = { id: '0b5c1c2e-7f4d-4c3a-9e8b-1a2b3c4d5e6f', reason: 'not ordered' }
    t.match(
      await dispatch(knex, envelope('transfers.reject', reject), { log }),
      refused,
      'a rejection'
    )
    const batch = await runBatch(knex, [receipt(), envelope('stock.get', { sku: SKU })], { log })
    t.match(batch, [refused, { ok: true, data: { sku: SKU, onHand: stock.onHand + 1000 } }])
    const members = envelope('members.apply', { members: [] })
    t.match(await dispatch(knex, members, { log }), { ok: true }, 'the membership goes on')
    t.equal(
      await knex('movements')
        .count({ n: '*' })
        .first()
        .then((r) => r?.n),
      500
    )
    t.notOk(await knex('idempotency_keys').where({ key: 'k-1' }).first(), 'the key stays free')
  }
)

t.test(
  'a ledger cut short with its balance fixed halts at start: the anchor remembers',
  async (t) => {
    const knex = await ledgerFile(t, 500)
    const removed = await cutLastRow(knex)
    const { log } = capture()
    await checkLedgerAtStart(knex, log)
    t.same((await status(knex)).halt?.problems, [`movement ${removed} was removed from the end`])
    t.match(await verify(knex), {
      ok: false,
      differences: [{ kind: 'head', message: `movement ${removed} was removed from the end` }],
    })
  }
)

t.test('a last movement edited without re-hashing halts at start', async (t) => {
  const knex = await ledgerFile(t, 500)
  await dropAppendOnly(knex)
  await knex('movements').where({ seq: 500 }).update({ reference: 'PO-FORGED' })
  const { log } = capture()
  await checkLedgerAtStart(knex, log)
  t.same((await status(knex)).halt?.problems, ['movement 500 was changed after it was written'])
})

t.test('a delta edited with its balance to match halts at start all the same', async (t) => {
  const knex = await ledgerFile(t, 500)
  await dropAppendOnly(knex)
  const rows = await knex('movements').where({ sku: SKU }).orderBy('seq')
  const middle = rows[Math.floor(rows.length / 2)]
  await knex('movements')
    .where({ seq: middle.seq })
    .update({ quantity: middle.quantity + 100, delta: middle.delta + 100 })
  const last = rows.at(-1)
  await knex('balances').where({ sku: SKU }).increment('onHand', 100)
  const { log } = capture()
  await checkLedgerAtStart(knex, log)
  t.same((await status(knex)).halt?.problems, [
    `${SKU} shows ${last.balanceAfter + 100} on hand, its last movement ${last.seq} recorded ${last.balanceAfter}`,
  ])
})

t.test('a rebuild lifts a halt on drifted balances, and writes go through again', async (t) => {
  const knex = await ledgerFile(t, 500)
  await knex('balances').where({ sku: SKU }).increment('onHand', 7)
  const { log } = capture()
  await checkLedgerAtStart(knex, log)
  t.match(await status(knex), { writes: 'refused' })
  t.match(await rebuild(knex), { changes: [{ sku: SKU }] })
  t.match(await status(knex), { writes: 'accepted', halt: null })
  t.match(await dispatch(knex, receipt(), { log }), { ok: true })
})

t.test(
  'a rebuild refuses a ledger cut short; an acceptance lifts the halt, re-anchors, is kept',
  async (t) => {
    const knex = await ledgerFile(t, 500)
    const removed = await cutLastRow(knex)
    const { log } = capture()
    await checkLedgerAtStart(knex, log)
    await t.rejects(rebuild(knex), {
      code: 'LEDGER_BROKEN',
      message: `The ledger's hash chain is broken, so no balance can be rebuilt from it: movement ${removed} was removed from the end. Restore the database from a backup, or accept the ledger as it stands with POST /ledger/accept and a reason.`,
    })
    t.match(await status(knex), { writes: 'refused' }, 'a refused rebuild lifts nothing')

    const reason = 'last receipt lost with the disk; recounted'
    const accepted = await accept(knex, { reason })
    const head = await knex('movements').orderBy('seq', 'desc').first('seq', 'hash')
    t.match(accepted, {
      reason,
      head,
      anchor: { seq: removed },
      problems: [`movement ${removed} was removed from the end`],
      changes: [],
    })
    t.match(await knex('ledger_acceptances').first(), {
      reason,
      headSeq: head.seq,
      anchorSeq: removed,
      problems: JSON.stringify([`movement ${removed} was removed from the end`]),
    })
    t.match(await status(knex), { writes: 'accepted' })
    t.match(await dispatch(knex, receipt(), { log }), { ok: true, data: { seq: removed } })
    t.match(await verify(knex), { ok: true })

    const restarted = reopen(t, knex)
    await checkLedgerAtStart(restarted, log)
    t.match(await status(restarted), { writes: 'accepted' }, 'and a restart checks out')
  }
)

t.test('an accepted head is not held against the node at its next start', async (t) => {
  const knex = await ledgerFile(t, 500)
  await dropAppendOnly(knex)
  await knex('movements').where({ seq: 500 }).update({ note: 'changed' })
  const { log } = capture()
  await checkLedgerAtStart(knex, log)
  await accept(knex, { reason: 'note changed by hand by the old admin; agreed with audit' })
  const restarted = reopen(t, knex)
  await checkLedgerAtStart(restarted, log)
  t.match(await status(restarted), { writes: 'accepted' })
  t.match(
    await verify(restarted),
    {
      ok: false,
      differences: [{ kind: 'hash', seq: 500 }],
    },
    'a verify still tells the truth'
  )
  const last = await restarted('movements').where({ seq: 500 }).first()
  const { hash, ...fields } = last
  t.not(hashMovement(fields), hash)
})

t.test(
  'a witness disagreement an admin accepted halts nothing when met again at a later start; another does',
  async (t) => {
    const knex = await ledgerFile(t, 50)
    const { log } = capture()
    await checkLedgerAtStart(knex, log)
    // Valencia holds rows this node lost with its disk (restored to 45, then wrote on).
    const valencia = {
      peer: 'valencia-id',
      holds: { seq: 52, hash: 'c'.repeat(64) },
      differsFrom: 46 as number | null,
      problem: "Valencia's copy and this ledger part at row 46",
    }
    const witnessed = (w: typeof valencia) =>
      dispatch(knex, envelope('ledger.witnessDiffers', w), { log })
    t.match(await witnessed(valencia), { ok: true, data: { accepted: null } })
    t.match(await status(knex), { writes: 'refused', halt: { witnessed: true } })
    const reason = 'rows 46-52 were lost with the disk; counted again by hand'
    t.match(
      await accept(knex, { reason }),
      { problems: [valencia.problem] },
      'the acceptance names what the halt it lifted said'
    )
    t.match(await status(knex), { writes: 'accepted' })
    // A restart: the start check runs again, and Valencia is asked again, holding the same.
    const restarted = reopen(t, knex)
    await checkLedgerAtStart(restarted, log)
    const again = (w: typeof valencia) =>
      dispatch(restarted, envelope('ledger.witnessDiffers', w), { log })
    t.match(await again(valencia), {
      ok: true,
      data: { accepted: { reason }, status: { writes: 'accepted' } },
    })
    t.match(await dispatch(restarted, receipt(), { log }), { ok: true }, 'writes go on')
    // A verify asks which of the disagreements it met were accepted: this one, not another.
    const { problem: _, ...disagreement } = valencia
    t.match(
      await dispatch(
        restarted,
        envelope('ledger.acceptedWitnesses', {
          disagreements: [disagreement, { ...disagreement, differsFrom: 20 }],
        }),
        { log }
      ),
      { ok: true, data: { accepted: [{ reason }, null] } }
    )
    t.match(
      await again({ ...valencia, differsFrom: null }),
      { ok: true, data: { accepted: null } },
      'where they part unknown this time (its hashes unanswered): not taken for the one accepted'
    )
    // The same witness parting elsewhere (a row changed since), or another witness: halted.
    for (const other of [
      { ...valencia, differsFrom: 20, problem: "Valencia's copy and this ledger part at row 20" },
      { ...valencia, peer: 'sevilla-id', problem: "Sevilla's copy …" },
      { ...valencia, holds: { seq: 53, hash: 'd'.repeat(64) } },
    ]) {
      t.match(await again(other), { ok: true, data: { accepted: null } }, other.problem)
    }
    t.match(await status(restarted), { writes: 'refused', halt: { witnessed: true } })

    // A disagreement accepted while where it parted was unknown halts again at the next start,
    // wherever the ledger parts then: what was accepted said nothing of which rows.
    await accept(restarted, { reason: 'the rest of Valencia, as above' })
    const unknown = { ...valencia, peer: 'bilbao-id', differsFrom: null, problem: 'Bilbao …' }
    const third = reopen(t, restarted)
    await checkLedgerAtStart(third, log)
    const atThird = (w: typeof valencia) =>
      dispatch(third, envelope('ledger.witnessDiffers', w), { log })
    t.match(await atThird(unknown), { ok: true, data: { accepted: null } })
    await accept(third, { reason: 'Bilbao, not knowing where' })
    const fourth = reopen(t, third)
    await checkLedgerAtStart(fourth, log)
    t.match(
      await dispatch(fourth, envelope('ledger.witnessDiffers', unknown), { log }),
      { ok: true, data: { accepted: null } },
      'an acceptance of an unknown parting row covers no later start'
    )
  }
)

t.test(
  'a ledger that cannot even be read through halts writes instead of stopping the node',
  async (t) => {
    const knex = await ledgerFile(t, 50)
    await knex.raw('DROP TABLE ledger_head') // what a damaged file, or a bad hand, can leave
    const { log } = capture()
    await checkLedgerAtStart(knex, log)
    t.match((await status(knex)).halt?.problems, [
      /^the ledger could not be checked \(.*no such table: ledger_head/,
    ])
    t.match(await dispatch(knex, receipt(), { log }), {
      ok: false,
      error: { code: 'LEDGER_HALTED' },
    })
    t.match(await dispatch(knex, envelope('stock.get', { sku: SKU }), { log }), { ok: true })
  }
)
