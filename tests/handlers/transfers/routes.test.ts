// The transfer routes (handlers/transfers/) with a fake context: what each sends to the worker,
// how the destination or sender is resolved against the membership, and each refusal (status,
// code, sentence, the field at fault), with nothing sent to the worker on a refusal of its own.
import t, { type TAP } from 'tap'
import type { Member } from '../../../db/contract/index.ts'
import type { Transfer, TransferDetail } from '../../../api/index.ts'
import create from '../../../handlers/transfers/index.post.ts'
import list from '../../../handlers/transfers/index.get.ts'
import getOne from '../../../handlers/transfers/[id].get.ts'
import receive, { ASK_SENDER_MS } from '../../../handlers/transfers/[id]/receive.post.ts'
import reject from '../../../handlers/transfers/[id]/reject.post.ts'
import cancel from '../../../handlers/transfers/[id]/cancel.post.ts'
import bookReturn from '../../../handlers/transfers/[id]/return.post.ts'
import writeOff from '../../../handlers/transfers/[id]/write-off.post.ts'
import type { Ctx, Handler } from '../../../runtime/index.ts'
import { assertPassesOn, fakeCtx, refusal, request, settle } from '../../fixtures/handler-kit.ts'
import type { Replies } from '../../fixtures/handler-kit.ts'
import { transferLine } from '../../fixtures/transfer-line.ts'

const SELF = '00000000-0000-4000-8000-000000000001'
const SUR = '00000000-0000-4000-8000-0000000000b2'
const ESTE = '00000000-0000-4000-8000-0000000000c3'

const row = (id: string, name: string, state: Member['state'] = 'alive'): Member => ({
  id,
  name,
  address: `http://${name.toLowerCase()}.test`,
  state,
  incarnation: 1,
  stateChangedAt: '2026-12-31T10:00:00.000Z',
  evidenceAt: null,
})

const MEMBERS = [
  row(SELF, 'Test Warehouse'),
  row(SUR, 'Sur', 'failed'),
  row(ESTE, 'Este', 'left'),
  row('00000000-0000-4000-8000-0000000000d4', 'Twin'),
  row('00000000-0000-4000-8000-0000000000e5', 'twin'),
]

const membership: Partial<Ctx['membership']> = {
  opened: true,
  snapshot: () => ({ members: MEMBERS, participating: true }),
}

const transfer: Transfer = {
  id: 'T-1',
  direction: 'out',
  peer: SUR,
  peerName: 'Sur',
  state: 'in_transit',
  outcome: null,
  reference: 'PO-7',
  note: '',
  reason: null,
  createdAt: '2026-12-31T10:00:00.000Z',
  updatedAt: '2026-12-31T10:00:00.000Z',
  closedAt: null,
  lines: [transferLine({ sku: 'ROPE' })],
}
const detail: TransferDetail = { ...transfer, messages: [], receipts: [] }
/** What the worker knows of a transfer sent or announced to it. */
const KNOWN = { here: true, sentBy: null, onTrustFrom: null }

const ctxWith = (replies: Replies) => fakeCtx(replies, membership)

async function refused(
  t: Pick<TAP, 'rejects' | 'strictSame'>,
  handler: Handler,
  req: ReturnType<typeof request>,
  wanted: { status: number; code: string; message?: string | RegExp; details?: unknown }
) {
  const ctx = ctxWith({})
  await t.rejects(async () => handler(req, ctx), wanted)
  t.strictSame(ctx.sent, [], 'nothing sent to the worker')
}

// ---------------------------------------------------------------------------------------------
// POST /transfers

const post = (body: unknown) => request('POST', '/transfers', { body })

t.test(
  'POST /transfers sends to a member named by name or id: 201 with its Location',
  async (t) => {
    for (const to of ['sur', SUR]) {
      const ctx = ctxWith({ 'transfers.create': () => transfer })
      const res = await settle(
        await create(post({ to, lines: [{ sku: ' rope', quantity: 10 }], reference: 'PO-7' }), ctx)
      )
      t.equal(res.status, 201)
      t.equal(res.headers.get('location'), '/transfers/T-1')
      t.strictSame(res.body, transfer)
      t.strictSame(ctx.sent, [
        {
          op: 'transfers.create',
          payload: {
            to: SUR,
            toName: 'Sur',
            lines: [{ sku: 'ROPE', quantity: 10 }],
            reference: 'PO-7',
            note: undefined,
          },
          options: undefined,
        },
      ])
    }
    t.ok(MEMBERS[1].state === 'failed', 'a member that is down is a destination all the same')
    const stopped = ctxWith({ 'transfers.create': () => transfer })
    await create(post({ to: 'Este', lines: [{ sku: 'ROPE', quantity: 1 }] }), stopped)
    t.match(
      stopped.sent[0].payload,
      { to: ESTE, toName: 'Este' },
      'and one stopped (left, for now)'
    )
  }
)

t.test(
  'POST /transfers refuses a destination outside the network, or this warehouse',
  async (t) => {
    const lines = [{ sku: 'ROPE', quantity: 1 }]
    await refused(t, create, post({ to: 'Oeste', lines }), {
      status: 422,
      code: 'UNKNOWN_DESTINATION',
      message: 'Oeste is not a warehouse of this network (GET /members lists them)',
      details: [{ path: 'to', message: 'is not a warehouse of this network' }],
    })
    await refused(t, create, post({ to: 'twin', lines }), {
      status: 422,
      code: 'UNKNOWN_DESTINATION',
      message: 'twin names 2 warehouses: give the node id (GET /members lists them)',
    })
    for (const to of [SELF, 'test warehouse']) {
      await refused(t, create, post({ to, lines }), {
        status: 422,
        code: 'INVALID_DESTINATION',
        message: `${to} is this warehouse: a transfer goes to another one`,
        details: [{ path: 'to', message: 'is this warehouse itself' }],
      })
    }
    const starting = fakeCtx({}, { opened: false })
    await t.rejects(async () => create(post({ to: 'Sur', lines }), starting), {
      status: 503,
      code: 'NOT_READY',
    })
  }
)

t.test('POST /transfers refuses bad input with 400 naming the field', async (t) => {
  const cases: [string, unknown, string, string][] = [
    ['no destination', { lines: [{ sku: 'A', quantity: 1 }] }, 'to', 'is required'],
    ['no lines', { to: 'Sur', lines: [] }, 'lines', 'must list at least one line'],
    [
      'a quantity of 0',
      { to: 'Sur', lines: [{ sku: 'A', quantity: 0 }] },
      'lines.0.quantity',
      'must be greater than zero',
    ],
    [
      'a fraction',
      { to: 'Sur', lines: [{ sku: 'A', quantity: 1.5 }] },
      'lines.0.quantity',
      'must be a whole number',
    ],
    [
      'a bad SKU',
      { to: 'Sur', lines: [{ sku: 'a b', quantity: 1 }] },
      'lines.0.sku',
      'must be 1-64 letters, digits, dots, dashes or underscores, starting with a letter or digit',
    ],
    [
      'a SKU twice',
      {
        to: 'Sur',
        lines: [
          { sku: 'A', quantity: 1 },
          { sku: 'a', quantity: 2 },
        ],
      },
      'lines.1.sku',
      'lists A twice',
    ],
    [
      'an unknown field',
      { to: 'Sur', lines: [{ sku: 'A', quantity: 1 }], urgent: true },
      'urgent',
      'is not a known field',
    ],
  ]
  for (const [what, body, path, message] of cases) {
    await t.test(what, async (t) => {
      await refused(t, create, post(body), {
        status: 400,
        code: 'VALIDATION_FAILED',
        details: [{ path, message }],
      })
    })
  }
})

t.test(
  "POST /transfers passes on the worker's refusal: short stock, an unknown item",
  async (t) => {
    const req = post({ to: 'Sur', lines: [{ sku: 'ROPE', quantity: 99 }] })
    const wanted = {
      status: 409,
      code: 'INSUFFICIENT_STOCK',
      message: 'Cannot send 99 m of ROPE in Test Warehouse: only 50 m on hand, short by 49',
      details: { sku: 'ROPE', onHand: 50, requested: 99, shortfall: 49 },
    }
    const ctx = fakeCtx(
      {
        'transfers.create': () => {
          throw refusal(wanted.code, wanted.message, wanted.details)
        },
      },
      membership
    )
    await t.rejects(async () => create(req, ctx), wanted)
  }
)

// ---------------------------------------------------------------------------------------------
// GET /transfers, GET /transfers/:id

t.test('GET /transfers passes the filters, paged', async (t) => {
  const page = { transfers: [transfer], nextCursor: null }
  const ctx = ctxWith({ 'transfers.list': () => page })
  const req = request('GET', '/transfers?direction=out&state=in_transit&peer=Sur&sku=rope&limit=5')
  t.strictSame(await list(req, ctx), page)
  t.strictSame(ctx.sent[0].payload, {
    direction: 'out',
    state: 'in_transit',
    peer: 'Sur',
    sku: 'ROPE',
    limit: 5,
  })
  for (const [query, path, message] of [
    ['direction=sideways', 'direction', 'must be out or in'],
    ['state=lost', 'state', /^must be one of in_transit, /],
    ['limit=0', 'limit', 'must be at least 1'],
    ['color=red', 'color', 'is not a known field'],
  ] as const) {
    await refused(t, list, request('GET', `/transfers?${query}`), {
      status: 400,
      code: 'VALIDATION_FAILED',
      details: [{ path, message }],
    })
  }
})

t.test(
  'GET /transfers/:id gives the transfer with its messages; an unknown id is 404',
  async (t) => {
    const ctx = ctxWith({ 'transfers.get': () => detail })
    t.strictSame(
      await getOne(request('GET', '/transfers/T-1', { params: { id: 'T-1' } }), ctx),
      detail
    )
    t.strictSame(ctx.sent[0].payload, { id: 'T-1' })
    await assertPassesOn(
      t,
      getOne,
      request('GET', '/transfers/x', { params: { id: 'x' } }),
      'transfers.get',
      {
        status: 404,
        code: 'NOT_FOUND',
        message: 'No transfer x here',
      }
    )
    await refused(t, getOne, request('GET', '/transfers/', { params: { id: 'x'.repeat(101) } }), {
      status: 400,
      code: 'VALIDATION_FAILED',
      details: [{ path: '', message: 'must be at most 100 characters' }],
    })
  }
)

// ---------------------------------------------------------------------------------------------
// The actions.

const action = (path: string, body: unknown) =>
  request('POST', `/transfers/T-1/${path}`, { body, params: { id: 'T-1' } })

t.test(
  'POST /transfers/:id/receive sends the receipt, the sender resolved when given',
  async (t) => {
    const ctx = ctxWith({
      'transfers.known': () => KNOWN,
      'transfers.receive': () => detail,
    })
    const body = {
      from: 'SUR',
      receiptId: 'GRN-1',
      lines: [{ sku: 'rope', received: 8, damaged: 2, disposition: 'return', reason: 'wet' }],
      final: true,
    }
    t.strictSame(await receive(action('receive', body), ctx), detail)
    t.strictSame(ctx.sent[0], { op: 'transfers.known', payload: { id: 'T-1' }, options: undefined })
    t.strictSame(ctx.sent[1].payload, {
      id: 'T-1',
      from: SUR,
      fromName: 'Sur',
      receiptId: 'GRN-1',
      lines: [{ sku: 'ROPE', received: 8, damaged: 2, disposition: 'return', reason: 'wet' }],
      final: true,
    })
    const plain = ctxWith({ 'transfers.known': () => KNOWN, 'transfers.receive': () => detail })
    await receive(action('receive', { lines: [{ sku: 'ROPE', received: 1 }], final: false }), plain)
    t.strictSame(plain.sent[1].payload, {
      id: 'T-1',
      lines: [{ sku: 'ROPE', received: 1 }],
      final: false,
    })
    await refused(
      t,
      receive,
      action('receive', { from: 'Oeste', lines: [{ sku: 'A', received: 1 }], final: true }),
      {
        status: 422,
        code: 'UNKNOWN_DESTINATION',
        details: [{ path: 'from', message: 'is not a warehouse of this network' }],
      }
    )
    await refused(
      t,
      receive,
      action('receive', { lines: [{ sku: 'A', received: 1, short: 1 }], final: true }),
      {
        status: 400,
        code: 'VALIDATION_FAILED',
        details: [
          {
            path: 'lines.0.disposition',
            message: 'is required when damaged or short is given: write_off or return',
          },
        ],
      }
    )
    await refused(
      t,
      receive,
      action('receive', { lines: [{ sku: 'A', received: -1 }], final: true }),
      {
        status: 400,
        code: 'VALIDATION_FAILED',
        details: [{ path: 'lines.0.received', message: 'must not be negative' }],
      }
    )
    for (const [code, status, message] of [
      [
        'TRANSFER_CANCELLED',
        409,
        'Transfer T-1 was cancelled by Sur: send the goods back, or have them sent as a new transfer',
      ],
      ['TRANSFER_REJECTED', 409, 'Transfer T-1 was rejected here: its goods go back to Sur'],
      ['ALREADY_FINAL', 409, 'Transfer T-1 has had its final receipt'],
    ] as const) {
      // The worker's refusal, passed on as it is (a known transfer: no check before it).
      const refusing = ctxWith({
        'transfers.known': () => KNOWN,
        'transfers.receive': () => {
          throw refusal(code, message)
        },
      })
      const once = action('receive', { lines: [{ sku: 'A', received: 1 }], final: true })
      await t.rejects(async () => receive(once, refusing), { status, code, message })
    }
  }
)

t.test(
  'POST /transfers/:id/receive of an id unknown here asks the sender, and is refused when it says it sent no such transfer here',
  async (t) => {
    const ID = '0f8e4c52-9a1b-4d2e-8c3f-5b6a7d8e9f01'
    const body = { from: 'Sur', lines: [{ sku: 'ROPE', received: 1000000 }], final: true }
    const at = request('POST', `/transfers/${ID}/receive`, { body, params: { id: ID } })
    const ctxOf = (
      known: { here: boolean; sentBy: string | null; onTrustFrom?: string | null },
      /** What Sur says when asked: null is no answer in time (or failed, left, cut off). */
      says: boolean | null = false
    ) => {
      const asked: [string, string, number][] = []
      const ctx = fakeCtx(
        {
          'transfers.known': () => ({ onTrustFrom: null, ...known }),
          'transfers.receive': () => detail,
        },
        membership,
        {},
        {},
        {
          transferSent: async (memberId: string, id: string, deadlineMs: number) => {
            asked.push([memberId, id, deadlineMs])
            return says
          },
        }
      )
      return Object.assign(ctx, { asked })
    }
    const denied = ctxOf({ here: false, sentBy: null })
    await t.rejects(async () => receive(at, denied), {
      status: 400,
      code: 'VALIDATION_FAILED',
      message: `Sur says it sent no transfer ${ID} to this warehouse: check the transfer id and the sender on the delivery note`,
      details: [{ path: 'id', message: 'is not a transfer Sur has sent here' }],
    })
    t.strictSame(denied.asked, [[SUR, ID, ASK_SENDER_MS]], 'Sur asked, under a deadline')
    t.notOk(
      denied.sent.some((s) => s.op === 'transfers.receive'),
      'nothing is received: no stock comes from nowhere'
    )
    // Taken on trust while the sender does not answer (failed, left, cut off, frozen, too slow),
    // or says it sent it (the dispatch message is on its way).
    for (const [why, ctx] of [
      ['the sender silent', ctxOf({ here: false, sentBy: null }, null)],
      ['the sender saying it sent it', ctxOf({ here: false, sentBy: null }, true)],
    ] as const) {
      t.strictSame(await receive(at, ctx), detail, why)
      t.equal(ctx.asked.length, 1, `${why}: asked`)
    }
    // An id no sender makes (not a UUID): refused by the worker at once, no sender asked.
    const typo = ctxOf({ here: false, sentBy: null })
    await receive(
      request('POST', '/transfers/FAKE-001/receive', { body, params: { id: 'FAKE-001' } }),
      typo
    )
    t.equal(typo.asked.length, 0, 'a malformed id: the sender is not asked')
    // Known without asking: a record here, or the sender's ledger replicated here shows it leaving.
    for (const [why, ctx] of [
      ['a record here', ctxOf({ here: true, sentBy: null })],
      ["the sender's replica showing it", ctxOf({ here: false, sentBy: SUR })],
    ] as const) {
      t.strictSame(await receive(at, ctx), detail, why)
      t.equal(ctx.asked.length, 0, `${why}: the sender is not asked`)
    }
    // Receipts already taken on trust from Sur: a later one that leaves `from` out asks Sur all
    // the same (it would otherwise add to stock from nowhere).
    const later = ctxOf({ here: false, sentBy: null, onTrustFrom: SUR })
    const noFrom = { lines: [{ sku: 'ROPE', received: 5 }], final: false }
    await t.rejects(
      async () =>
        receive(
          request('POST', `/transfers/${ID}/receive`, { body: noFrom, params: { id: ID } }),
          later
        ),
      { status: 400, message: /^Sur says it sent no transfer/ }
    )
    t.notOk(
      later.sent.some((s) => s.op === 'transfers.receive'),
      'nothing received'
    )
    // A UUID in capitals is the same transfer, and a node id in capitals the same node.
    const upper = ctxOf({ here: true, sentBy: null })
    const shouted = { ...body, from: SUR.toUpperCase() }
    await receive(
      request('POST', `/transfers/${ID.toUpperCase()}/receive`, {
        body: shouted,
        params: { id: ID.toUpperCase() },
      }),
      upper
    )
    t.match(
      upper.sent.map((s) => s.payload),
      [{ id: ID }, { id: ID, from: SUR, fromName: 'Sur' }]
    )
  }
)

t.test('POST /transfers/:id/reject and /cancel need a reason; cancel answers 202', async (t) => {
  const rejected = ctxWith({
    'transfers.reject': () => ({ ...detail, state: 'rejected' as const }),
  })
  t.match(await reject(action('reject', { reason: 'not ordered' }), rejected), {
    state: 'rejected',
  })
  t.strictSame(rejected.sent[0].payload, { id: 'T-1', reason: 'not ordered' })
  const asked = ctxWith({
    'transfers.cancel': () => ({ ...detail, state: 'cancel_requested' as const }),
  })
  const res = await settle(await cancel(action('cancel', { reason: 'wrong truck' }), asked))
  t.equal(res.status, 202)
  t.match(res.body, { state: 'cancel_requested' })
  for (const handler of [reject, cancel]) {
    await refused(t, handler, action('x', {}), {
      status: 400,
      code: 'VALIDATION_FAILED',
      details: [{ path: 'reason', message: 'is required' }],
    })
  }
  await assertPassesOn(t, cancel, action('cancel', { reason: 'x' }), 'transfers.cancel', {
    status: 409,
    code: 'ALREADY_RECEIVED',
    message: 'Transfer T-1 cannot be cancelled: Sur has already received against it',
  })
  await assertPassesOn(t, reject, action('reject', { reason: 'x' }), 'transfers.reject', {
    status: 409,
    code: 'ALREADY_RECEIVED',
    message: 'Transfer T-1 cannot be rejected: goods were already received against it',
  })
})

t.test(
  'POST /transfers/:id/write-off writes off what will not come back: all that is due, or the lines given',
  async (t) => {
    t.equal(writeOff.access, 'operator')
    const ctx = ctxWith({ 'transfers.writeOff': () => detail })
    await writeOff(action('write-off', {}), ctx)
    await writeOff(
      action('write-off', { lines: [{ sku: 'rope', quantity: 2 }], note: 'lost' }),
      ctx
    )
    t.strictSame(
      ctx.sent.map((s) => s.payload),
      [{ id: 'T-1' }, { id: 'T-1', lines: [{ sku: 'ROPE', quantity: 2 }], note: 'lost' }]
    )
    await refused(t, writeOff, action('write-off', { lines: [{ sku: 'ROPE', quantity: 0 }] }), {
      status: 400,
      code: 'VALIDATION_FAILED',
    })
    await assertPassesOn(t, writeOff, action('write-off', {}), 'transfers.writeOff', {
      status: 409,
      code: 'INVALID_TRANSFER_STATE',
      message: 'Transfer T-1 has nothing to come back (closed)',
    })
  }
)

t.test('POST /transfers/:id/return books back all that is due, or the lines given', async (t) => {
  const ctx = ctxWith({ 'transfers.return': () => detail })
  await bookReturn(action('return', {}), ctx)
  await bookReturn(
    action('return', { lines: [{ sku: 'rope', quantity: 2 }], note: 'pallet 3' }),
    ctx
  )
  t.strictSame(
    ctx.sent.map((s) => s.payload),
    [{ id: 'T-1' }, { id: 'T-1', lines: [{ sku: 'ROPE', quantity: 2 }], note: 'pallet 3' }]
  )
  await refused(t, bookReturn, action('return', { lines: [] }), {
    status: 400,
    code: 'VALIDATION_FAILED',
    details: [{ path: 'lines', message: 'must list at least one line' }],
  })
  await assertPassesOn(t, bookReturn, action('return', {}), 'transfers.return', {
    status: 409,
    code: 'EXCEEDS_IN_TRANSIT',
    message: 'Cannot book back more than is to come back: ROPE 3 of 2',
  })
})
