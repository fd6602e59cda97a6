import type { Knex } from 'knex'
import { pino } from 'pino'
import t from 'tap'
import { runBatch } from '../../../db/batch.ts'
import type { RequestEnvelope, VerifyProgress } from '../../../db/contract/index.ts'
import { STEP } from '../../../db/ledger/jobs.ts'
import { hashMovement } from '../../../db/ledger/hash.ts'
import {
  verify,
  verifyCancel,
  verifyFinish,
  verifyStart,
  verifyStep,
} from '../../../db/operations/ledger.ts'
import { ledgerFile } from '../../fixtures/ledger-file.ts'
import { afterCreate } from '../failing-table.ts'

/** Steps a started job until the worker says it is ready, returning every progress seen. */
async function stepToReady(knex: Knex, first: VerifyProgress, between?: () => Promise<void>) {
  const seen = [first]
  for (let p = first; !p.ready; seen.push(p)) {
    await between?.()
    p = await verifyStep(knex, { job: p.job })
  }
  return seen
}

const log = pino({ level: 'silent' })
let n = 0
function receipts(count: number): RequestEnvelope[] {
  return Array.from({ length: count }, (_, i) => ({
    v: 1,
    id: `r${++n}`,
    op: 'movements.record',
    payload: { type: 'receipt', sku: `SKU-${String((i % 40) + 1).padStart(6, '0')}`, quantity: 2 },
    deadline: Date.now() + 60_000,
  }))
}

t.test('a verify job checks the ledger in bounded steps and agrees with one pass', async (t) => {
  const knex = await ledgerFile(t, 12_000)
  const steps = await stepToReady(knex, await verifyStart(knex))
  const result = await verifyFinish(knex, { job: steps[0].job })
  t.ok(steps.length >= 12_000 / STEP.rows, `${steps.length} steps`)
  steps.forEach((p, i) => {
    const rows = p.checked - (i === 0 ? 0 : steps[i - 1].checked)
    if (rows > STEP.rows) t.fail(`step ${i} checked ${rows} rows`)
  })
  t.match(result, { ok: true, differences: [], checked: { movements: 12_000, balances: 40 } })
  t.same(result, await verify(knex), 'the same report as a verify in one pass')
})

t.test('a verify while writes go on checks every row, those appended during it too', async (t) => {
  const knex = await ledgerFile(t, 9_000)
  let batches = 0
  const write = async () => {
    if (batches++ % 2 === 0) await runBatch(knex, receipts(25), { log })
  }
  const steps = await stepToReady(knex, await verifyStart(knex), write)
  await write()
  const result = await verifyFinish(knex, { job: steps[0].job })
  const last = await knex('movements').orderBy('seq', 'desc').first('seq', 'hash')
  t.ok(batches >= 2, `${batches} write batches between the steps`)
  t.match(result, { ok: true, differences: [], checked: { movements: last.seq } })
  t.same(result.head, last, 'up to the last row, appended after the job began')
})

t.test(
  'rows appended during a verify are checked in its finish: a forged one is caught',
  async (t) => {
    const knex = await ledgerFile(t, 6_000)
    const steps = await stepToReady(knex, await verifyStart(knex))
    const head = await knex('movements').orderBy('seq', 'desc').first()
    const { hash: _, ...row } = { ...head, seq: head.seq + 1, prevHash: head.hash, note: 'forged' }
    await knex('movements').insert({ ...row, hash: hashMovement({ ...row, note: '' }) })
    const result = await verifyFinish(knex, { job: steps[0].job })
    t.match(result, {
      ok: false,
      differences: [{ kind: 'hash', seq: head.seq + 1 }],
    })
  }
)

t.test(
  'one verify job at a time: another start waits until it finishes or is cancelled',
  async (t) => {
    const knex = await ledgerFile(t, 3_000)
    const first = await verifyStart(knex)
    await t.rejects(verifyStart(knex), {
      code: 'VERIFY_BUSY',
      message: /^A verify of the ledger is already running \(\d+ of 3000 movements checked\)/,
    })
    t.same(await verifyCancel(knex, { job: first.job }), { cancelled: true })
    const second = await verifyStart(knex)
    t.not(second.job, first.job)
    await t.rejects(verifyStep(knex, { job: first.job }), {
      code: 'NOT_FOUND',
      message: `No verify job ${first.job} is running (the database worker may have restarted since it began)`,
    })
    await verifyFinish(knex, { job: (await stepToReady(knex, second)).at(-1)?.job as string })
    t.ok(await verifyStart(knex), 'free again after a finish')
  }
)

/**
 * Runs `envelopes` in one batch with an item whose write is refused only at COMMIT (a deferred
 * foreign key, as a full disk shows only there): nothing of the batch is applied.
 */
async function failedBatch(knex: Knex, envelopes: RequestEnvelope[]) {
  await knex.raw('CREATE TABLE IF NOT EXISTS parents (id INTEGER PRIMARY KEY)')
  await knex.raw(`CREATE TABLE IF NOT EXISTS children (id INTEGER PRIMARY KEY,
    parent INTEGER REFERENCES parents (id) DEFERRABLE INITIALLY DEFERRED)`)
  const table = afterCreate('ORPHAN', (trx) => trx.raw('INSERT INTO children VALUES (1, 42)'))
  const orphan = envelopeOf('items.create', { sku: 'ORPHAN', name: 'x', unit: 'ea' })
  const replies = await runBatch(knex, [...envelopes, orphan], { log, table })
  return replies.slice(0, -1)
}

function envelopeOf(op: string, payload: object): RequestEnvelope {
  return { v: 1, id: `e${++n}`, op, payload, deadline: Date.now() + 60_000 } as RequestEnvelope
}

const receipt = (quantity: number) =>
  envelopeOf('movements.record', { type: 'receipt', sku: 'SKU-000001', quantity })

async function lastSeqOf(knex: Knex): Promise<number> {
  return (await knex('movements').max({ seq: 'seq' }).first())?.seq
}

t.test(
  'a step caught in a batch whose COMMIT fails leaves the job as it was: the rows written after are checked',
  async (t) => {
    const knex = await ledgerFile(t, 100)
    const started = await verifyStart(knex)
    t.match(started, { checked: 100, ready: true })
    // More rows than a finish takes at once: a step that sees them catches up to them, and one
    // inside the batch's transaction would see them before its COMMIT fails.
    const step = envelopeOf('ledger.verifyStep', { job: started.job })
    const replies = await failedBatch(knex, [...receipts(2100), step])
    t.match(replies.slice(0, -1), Array(2100).fill({ ok: false, error: { code: 'INTERNAL' } }))
    t.match(replies.at(-1), { ok: true, data: { job: started.job, checked: 100, ready: true } })
    t.equal(await lastSeqOf(knex), 100, 'nothing of the failed batch was committed')

    t.match(await runBatch(knex, [receipt(7), receipt(3)], { log }), [{ ok: true }, { ok: true }])
    const steps = await stepToReady(knex, await verifyStep(knex, { job: started.job }))
    const result = await verifyFinish(knex, { job: steps[0].job })
    t.match(result, { ok: true, differences: [], checked: { movements: 102 } })
    t.same(result.head, await knex('movements').orderBy('seq', 'desc').first('seq', 'hash'))
  }
)

t.test(
  'a start caught in a batch whose COMMIT fails is answered on what was committed, not VERIFY_BUSY',
  async (t) => {
    const knex = await ledgerFile(t, 100)
    const [, start] = await failedBatch(knex, [receipt(5), envelopeOf('ledger.verifyStart', {})])
    t.match(start, { ok: true, data: { checked: 100, of: 100, ready: true } })
    const { job } = (start as { data?: VerifyProgress }).data ?? { job: '' }
    await runBatch(knex, [receipt(7)], { log })
    t.match(await verifyFinish(knex, { job }), { ok: true, checked: { movements: 101 } })
  }
)

t.test(
  'a finish caught in a batch whose COMMIT fails is answered on what was committed, not NOT_FOUND',
  async (t) => {
    const knex = await ledgerFile(t, 100)
    const { job } = await verifyStart(knex)
    const [, finish] = await failedBatch(knex, [
      receipt(9),
      envelopeOf('ledger.verifyFinish', { job }),
    ])
    t.match(finish, { ok: true, data: { ok: true, checked: { movements: 100 } } })
    t.match(await verifyStart(knex), { ready: true }, 'the job is over: another may start')
    await runBatch(knex, [receipt(2)], { log })
    t.match(await verify(knex), { ok: true, checked: { movements: 101 } })
  }
)
