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
