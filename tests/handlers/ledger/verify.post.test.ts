import t from 'tap'
import type { LedgerCheck, VerifyProgress } from '../../../db/contract/index.ts'
import handler from '../../../handlers/ledger/verify.post.ts'
import { assertPassesOn, fakeCtx, refusal, request, settle } from '../../fixtures/handler-kit.ts'

const drifted: LedgerCheck = {
  ok: false,
  differences: [
    {
      kind: 'balance',
      sku: 'BOLT-M8',
      expected: 47,
      actual: 50,
      message: 'BOLT-M8 shows 50 on hand, the ledger sums to 47',
    },
  ],
  checked: { movements: 14, balances: 3 },
  head: { seq: 14, hash: 'c'.repeat(64) },
}

/** The report as answered on a node with no peer to witness it: said, and not a failure. */
const answered = {
  ...drifted,
  witnesses: { available: false, witnesses: [], summary: 'no witness available' },
}

/** A worker whose job takes `steps` steps after its start, each a separate envelope. */
function jobOf(steps: number, job = 'job-1') {
  let done = 0
  const progress = (): VerifyProgress => ({
    job,
    checked: done * 5,
    of: 14,
    ready: done >= steps,
    ms: 0.5,
  })
  return {
    'ledger.verifyStart': () => progress(),
    'ledger.verifyStep': () => (done++, progress()),
    'ledger.verifyFinish': () => drifted,
  }
}

const ops = (ctx: { sent: { op: string }[] }) => ctx.sent.map((s) => s.op)

/** The operations a whole job of `steps` steps sends. */
const wholeJob = (steps: number) => [
  'ledger.verifyStart',
  ...Array<string>(steps).fill('ledger.verifyStep'),
  'ledger.verifyFinish',
]

t.test(
  'drives a verify job one envelope per step, and answers the report of its finish',
  async (t) => {
    const ctx = fakeCtx(jobOf(3))
    const { status, body } = await settle(await handler(request('POST', '/ledger/verify'), ctx))
    t.equal(status, 200)
    t.strictSame(body, answered)
    t.strictSame(ops(ctx), wholeJob(3))
    t.strictSame(ctx.sent[1].payload, { job: 'job-1' })
    t.strictSame(ctx.sent[4].payload, { job: 'job-1' })
  }
)

t.test('a verify asked for while one is stepping joins it: one job, the same report', async (t) => {
  let release = () => {}
  const gate = new Promise<void>((resolve) => (release = resolve))
  const worker = jobOf(2)
  const ctx = fakeCtx({
    ...worker,
    'ledger.verifyStep': async () => {
      await gate
      return worker['ledger.verifyStep']()
    },
  })
  const first = handler(request('POST', '/ledger/verify'), ctx)
  await new Promise((resolve) => setImmediate(resolve)) // the first is now waiting on a step
  const second = handler(request('POST', '/ledger/verify'), ctx)
  release()
  t.strictSame(await Promise.all([first, second]), [answered, answered])
  t.equal(ops(ctx).filter((op) => op === 'ledger.verifyStart').length, 1, 'one job')
})

t.test('a verify asked for while one is finishing waits for it and starts its own', async (t) => {
  let release = () => {}
  const gate = new Promise<void>((resolve) => (release = resolve))
  let finishing = () => {}
  const finishSent = new Promise<void>((resolve) => (finishing = resolve))
  const worker = jobOf(0)
  const ctx = fakeCtx({
    ...worker,
    'ledger.verifyFinish': async () => {
      finishing()
      await gate
      return drifted
    },
  })
  const first = handler(request('POST', '/ledger/verify'), ctx)
  await finishSent
  const second = handler(request('POST', '/ledger/verify'), ctx)
  release()
  await Promise.all([first, second])
  t.strictSame(ops(ctx), [
    'ledger.verifyStart',
    'ledger.verifyFinish',
    'ledger.verifyStart',
    'ledger.verifyFinish',
  ])
})

t.test('starts over once when the worker forgot the job (it restarted in between)', async (t) => {
  let forgot = 0
  const worker = jobOf(1)
  const ctx = fakeCtx({
    ...worker,
    'ledger.verifyStep': () => {
      if (forgot++ === 0) throw refusal('NOT_FOUND', 'No verify job job-1 is running')
      return worker['ledger.verifyStep']()
    },
  })
  t.strictSame(await handler(request('POST', '/ledger/verify'), ctx), answered)
  t.equal(ops(ctx).filter((op) => op === 'ledger.verifyStart').length, 2)
})

t.test('gives up with 503 when the job is forgotten again after starting over', async (t) => {
  const ctx = fakeCtx({
    ...jobOf(1),
    'ledger.verifyStep': () => {
      throw refusal('NOT_FOUND', 'No verify job job-1 is running')
    },
    'ledger.verifyCancel': () => ({ cancelled: false }),
  })
  await t.rejects(handler(request('POST', '/ledger/verify'), ctx), {
    status: 503,
    code: 'DB_UNAVAILABLE',
    message: /restarted twice during the verify/,
  })
})

t.test('cancels its job when a step fails, so the worker can take another', async (t) => {
  const ctx = fakeCtx({
    ...jobOf(3),
    'ledger.verifyStep': () => {
      throw refusal('DB_TIMEOUT', 'The database did not answer within 5000 ms')
    },
    'ledger.verifyCancel': () => ({ cancelled: true }),
  })
  await t.rejects(handler(request('POST', '/ledger/verify'), ctx), { code: 'DB_TIMEOUT' })
  await new Promise((resolve) => setImmediate(resolve))
  t.strictSame(ctx.sent.at(-1), {
    op: 'ledger.verifyCancel',
    payload: { job: 'job-1' },
    options: undefined,
  })
})

t.test('gives way to requests between steps while they keep the event loop busy', async (t) => {
  const seen: string[] = []
  const worker = jobOf(3)
  const ctx = fakeCtx({
    ...worker,
    'ledger.verifyStep': () => {
      seen.push('step')
      const until = performance.now() + 20
      while (performance.now() < until); // requests being served, as far as the loop can tell
      setTimeout(() => seen.push('other work'), 0)
      return worker['ledger.verifyStep']()
    },
  })
  await handler(request('POST', '/ledger/verify'), ctx)
  // Other work ran after each step but the last (the finish follows it at once).
  t.strictSame(seen, ['step', 'other work', 'step', 'other work', 'step'])
})

/** A worker whose every step waits to be answered with `open()`. */
function gatedJob(steps: number) {
  const worker = jobOf(steps)
  const waiting: (() => void)[] = []
  let notify = () => {}
  const ctx = fakeCtx({
    ...worker,
    'ledger.verifyStep': async () => {
      await new Promise<void>((resolve) => {
        waiting.push(resolve)
        notify()
      })
      return worker['ledger.verifyStep']()
    },
    'ledger.verifyCancel': () => ({ cancelled: true }),
  })
  return {
    ctx,
    /** Resolves once a step waits to be answered. */
    asked: () =>
      waiting.length > 0 ? Promise.resolve() : new Promise<void>((resolve) => (notify = resolve)),
    /** Answers the step that waits. */
    open: () => waiting.shift()?.(),
  }
}

t.test(
  'stops its job at the next step when the request goes away, and frees the worker for another',
  async (t) => {
    const { ctx, asked, open } = gatedJob(5)
    const hangUp = new AbortController()
    const answer = handler(request('POST', '/ledger/verify', { signal: hangUp.signal }), ctx)
    await asked()
    hangUp.abort()
    open()
    await t.rejects(answer, { status: 499, code: 'CLIENT_CLOSED' })
    await new Promise((resolve) => setImmediate(resolve))
    t.strictSame(ops(ctx), ['ledger.verifyStart', 'ledger.verifyStep', 'ledger.verifyCancel'])
    // The next verify gets a job of its own, and its report.
    const next = handler(request('POST', '/ledger/verify'), ctx)
    for (let step = 0; step < 4; step++) {
      await asked()
      open()
    }
    t.strictSame(await next, answered)
    t.equal(ops(ctx).filter((op) => op === 'ledger.verifyStart').length, 2)
  }
)

t.test('goes on while another request still waits on it', async (t) => {
  const { ctx, asked, open } = gatedJob(3)
  const hangUp = new AbortController()
  const first = handler(request('POST', '/ledger/verify', { signal: hangUp.signal }), ctx)
  const second = handler(request('POST', '/ledger/verify'), ctx)
  await asked()
  hangUp.abort()
  for (let step = 0; step < 3; step++) {
    await asked()
    open()
  }
  t.strictSame(await second, answered)
  await t.rejects(first, { code: 'CLIENT_CLOSED' }, 'the one that left: no peer asked for it')
  t.strictSame(ops(ctx), wholeJob(3))
})

t.test(
  'a verify left by every request is not started over when the worker forgot it; the next gets a job of its own',
  async (t) => {
    const worker = jobOf(1)
    let stepAsked = () => {}
    const asked = new Promise<void>((resolve) => (stepAsked = resolve))
    let forget = () => {}
    const forgot = new Promise<void>((resolve) => (forget = resolve))
    let steps = 0
    const ctx = fakeCtx({
      ...worker,
      'ledger.verifyStep': async () => {
        if (steps++ > 0) return worker['ledger.verifyStep']()
        stepAsked()
        await forgot
        throw refusal('NOT_FOUND', 'No verify job job-1 is running')
      },
      'ledger.verifyCancel': () => ({ cancelled: true }),
    })
    const hangUp = new AbortController()
    const first = handler(request('POST', '/ledger/verify', { signal: hangUp.signal }), ctx)
    await asked
    hangUp.abort()
    forget()
    await t.rejects(first, { code: 'CLIENT_CLOSED' })
    // A verify asked for now is not answered 499: it starts a job of its own.
    t.strictSame(await handler(request('POST', '/ledger/verify'), ctx), answered)
    t.equal(ops(ctx).filter((op) => op === 'ledger.verifyStart').length, 2)
  }
)

t.test('a request that went away before it began starts nothing', async (t) => {
  const { ctx } = gatedJob(3)
  const hangUp = new AbortController()
  hangUp.abort()
  await t.rejects(handler(request('POST', '/ledger/verify', { signal: hangUp.signal }), ctx), {
    code: 'CLIENT_CLOSED',
  })
  await new Promise((resolve) => setImmediate(resolve))
  t.strictSame(ops(ctx), [])
})

t.test('passes on a worker already running a job for someone else', (t) =>
  assertPassesOn(t, handler, request('POST', '/ledger/verify'), 'ledger.verifyStart', {
    status: 503,
    code: 'VERIFY_BUSY',
    message: 'A verify of the ledger is already running (4000 of 90000 movements checked)',
  })
)

const head = { seq: 14, hash: 'c'.repeat(64) }
const clean: LedgerCheck = {
  ok: true,
  differences: [],
  checked: { movements: 14, balances: 3 },
  head,
}

/** Centro, whose replica of this ledger parts from it at row 9. */
const differs = {
  peer: { id: 'n-2', name: 'Centro' },
  holds: { seq: 14, hash: 'd'.repeat(64) },
  caughtUpAt: null,
  verdict: 'differs' as const,
  differsFrom: 9,
  message: "Centro's copy and this ledger part at row 9",
}

t.test(
  'a witness that disagrees makes the verify fail, naming the peer and where the chains part',
  async (t) => {
    const asked: unknown[] = []
    const ctx = fakeCtx(
      {
        ...jobOf(0),
        'ledger.verifyFinish': () => clean,
        'ledger.hashes': () => ({ hashes: [] }),
        'ledger.acceptedWitnesses': () => ({ accepted: [null] }),
      },
      {},
      {},
      {
        witness: async (own) => {
          asked.push(own.head, await own.hashes([9]))
          return { available: true, witnesses: [differs], summary: '1 of 1 witnesses disagree' }
        },
      }
    )
    const body = (await handler(request('POST', '/ledger/verify'), ctx)) as LedgerCheck
    t.match(body, {
      ok: false,
      differences: [
        { kind: 'witness', seq: 9, message: /Centro's copy and this ledger part at row 9/ },
      ],
      witnesses: { available: true, witnesses: [differs] },
    })
    t.same(asked, [head, []], "compared from the verified head, with this node's own hashes")
    t.match(ctx.sent.at(-2), { op: 'ledger.hashes', payload: { seqs: [9] } })
    t.match(ctx.sent.at(-1), {
      op: 'ledger.acceptedWitnesses',
      payload: { disagreements: [{ peer: 'n-2', holds: differs.holds, differsFrom: 9 }] },
    })
  }
)

t.test(
  'a disagreement an admin accepted is said as accepted, with when and why, and fails nothing',
  async (t) => {
    const acceptance = { acceptedAt: '2026-12-04T10:00:00.000Z', reason: 'rolled back on purpose' }
    const ctx = fakeCtx(
      {
        ...jobOf(0),
        'ledger.verifyFinish': () => clean,
        'ledger.acceptedWitnesses': () => ({ accepted: [acceptance] }),
      },
      {},
      {},
      {
        witness: async () => ({
          available: true,
          witnesses: [{ ...differs }],
          summary: '1 of 1 witnesses disagree',
        }),
      }
    )
    const body = (await handler(request('POST', '/ledger/verify'), ctx)) as LedgerCheck
    t.match(body, {
      ok: true,
      differences: [],
      witnesses: {
        witnesses: [{ ...differs, accepted: acceptance }],
        summary: '1 of 1 witnesses disagree; an admin accepted each of them (see accepted)',
      },
    })
  }
)
