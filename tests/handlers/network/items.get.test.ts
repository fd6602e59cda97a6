import t from 'tap'
import handler from '../../../handlers/network/items.get.ts'
import { assertRefused, fakeCtx, request, settle } from '../../fixtures/handler-kit.ts'

const list = (query = '') => request('GET', `/network/items${query}`)
const page = { items: [], nextCursor: null }

t.test('asks for the first page of every SKU known here by default', async (t) => {
  const ctx = fakeCtx({ 'items.network': () => page })
  const { status, body } = await settle(await handler(list(), ctx))
  t.equal(status, 200)
  t.strictSame(body, page)
  t.strictSame(
    ctx.sent.map((s) => s.payload),
    [{ search: undefined, unitsDiffer: false, limit: 50, cursor: undefined }]
  )
})

t.test('passes on a search, the unit-conflict filter and paging', async (t) => {
  const ctx = fakeCtx({ 'items.network': () => page })
  await handler(list('?search=rope&unitsDiffer=true&limit=5&cursor=abc'), ctx)
  t.strictSame(
    ctx.sent.map((s) => s.payload),
    [{ search: 'rope', unitsDiffer: true, limit: 5, cursor: 'abc' }]
  )
})

t.test('refuses a unitsDiffer that is not true or false without asking the worker', (t) =>
  assertRefused(t, handler, list('?unitsDiffer=yes'), {
    status: 400,
    code: 'VALIDATION_FAILED',
    details: [{ path: 'unitsDiffer', message: 'must be true or false' }],
  })
)

t.test('refuses an unknown parameter without asking the worker', (t) =>
  assertRefused(t, handler, list('?scope=all'), { status: 400, code: 'VALIDATION_FAILED' })
)
