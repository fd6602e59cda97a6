// api/transfers.ts mirrors the worker's contract (db/contract/transfers.ts), which the browser
// cannot load: the types and lists must agree, and the schemas must name the field at fault.
import t from 'tap'
import * as api from '../../api/index.ts'
import * as contract from '../../db/contract/transfers.ts'

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
const agree: [
  Same<api.Transfer, contract.Transfer>,
  Same<api.TransferDetail, contract.TransferDetail>,
  Same<api.TransferLine, contract.TransferLine>,
  Same<api.TransferMessage, contract.TransferMessage>,
] = [true, true, true, true]

function problems(
  schema: { safeParse(v: unknown): { success: boolean; error?: unknown } },
  v: unknown
) {
  const r = schema.safeParse(v) as {
    success: boolean
    error?: { issues: { path: PropertyKey[]; message: string }[] }
  }
  return r.success ? [] : r.error!.issues.map((i) => `${i.path.join('.')} ${i.message}`)
}

t.test('the REST types and lists are the contract’s', async (t) => {
  t.same(agree, [true, true, true, true])
  t.same(api.TRANSFER_OUT_STATES, contract.OUT_STATES)
  t.same(api.TRANSFER_IN_STATES, contract.IN_STATES)
  t.same(api.TRANSFER_OUTCOMES, contract.OUTCOMES)
  t.same(api.DISPOSITIONS, contract.DISPOSITIONS)
  t.same(api.TRANSFER_MESSAGE_KINDS, contract.TRANSFER_MESSAGE_KINDS)
})

t.test('POST /transfers takes a destination and lines, each SKU once, upper-cased', async (t) => {
  const ok = api.transferInput.parse({ to: 'north', lines: [{ sku: 'a-1', quantity: 2 }] })
  t.same(ok, { to: 'north', lines: [{ sku: 'A-1', quantity: 2 }] })
  t.same(problems(api.transferInput, { lines: [{ sku: 'A', quantity: 1 }] }), ['to is required'])
  t.same(problems(api.transferInput, { to: 'n', lines: [] }), ['lines must list at least one line'])
  t.same(problems(api.transferInput, { to: 'n', lines: [{ sku: 'A', quantity: 0 }] }), [
    'lines.0.quantity must be greater than zero',
  ])
  t.same(
    problems(api.transferInput, {
      to: 'n',
      lines: [
        { sku: 'a', quantity: 1 },
        { sku: 'A', quantity: 1 },
      ],
    }),
    ['lines.1.sku lists A twice']
  )
  t.same(
    problems(api.transferInput, { to: 'n', lines: [{ sku: 'A', quantity: 1 }], x: 1 }).length,
    1
  )
})

t.test('a receipt line that is damaged or short says what to do with it', async (t) => {
  const line = { sku: 'A', received: 1, damaged: 1 }
  t.same(problems(api.receiveInput, { lines: [line], final: true }), [
    'lines.0.disposition is required when damaged or short is given: write_off or return',
  ])
  t.same(
    problems(api.receiveInput, { lines: [{ ...line, disposition: 'return' }], final: true }),
    []
  )
  t.same(problems(api.receiveInput, { lines: [{ sku: 'A', received: 0 }], final: false }), [
    'lines.0.received must be greater than zero when damaged and short are not given',
  ])
  t.same(problems(api.receiveInput, { lines: [{ sku: 'A', received: 1 }] }), [
    'final must be true or false',
  ])
})

t.test('a receipt id, which goes to the other warehouse, holds no control character', async (t) => {
  const lines = [{ sku: 'A', received: 1 }]
  for (const receiptId of ['GRN\u001b[2J', 'GRN\n1', 'GRN\t1', 'GRN\u202e1']) {
    t.same(problems(api.receiveInput, { receiptId, lines, final: false }), [
      'receiptId must not contain control characters (tabs and line breaks too), direction overrides or zero-width spaces',
    ])
  }
  t.same(problems(api.receiveInput, { receiptId: 'GRN 2026/17', lines, final: false }), [])
})

t.test('a body that is not an object is told so', async (t) => {
  for (const schema of [api.transferInput, api.receiveInput, api.rejectInput, api.returnInput]) {
    t.same(problems(schema, [1, 2]), [' must be a JSON object'])
  }
  t.same(problems(api.returnInput, { x: 1 }).length, 1, 'an unknown field keeps its own words')
})

t.test('reject and cancel need a reason; return takes optional lines', async (t) => {
  t.same(problems(api.rejectInput, {}), ['reason is required'])
  t.same(problems(api.cancelInput, { reason: ' ' }), ['reason must not be empty: say why'])
  t.same(problems(api.returnInput, {}), [])
  t.same(problems(api.transfersQuery, { state: 'lost' }).length, 1)
  t.same(api.transfersQuery.parse({ direction: 'in', limit: '5' }), { direction: 'in', limit: 5 })
})
