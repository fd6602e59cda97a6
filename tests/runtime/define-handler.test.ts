import t from 'tap'
import { defineHandler, z } from '../../runtime/index.ts'
import { fakeCtx, request } from '../fixtures/handler-kit.ts'

const body = z.strictObject({ sku: z.string().toUpperCase(), quantity: z.number().int() })
const query = z.strictObject({ limit: z.coerce.number().default(10) })

t.test('hands the handler its declared body and query, validated', async (t) => {
  const handler = defineHandler(
    { access: 'operator', summary: 'Takes stock', body, query },
    async (_request, _ctx, input) => input
  )
  const req = request('POST', '/x?limit=3', { body: { sku: 'bolt', quantity: 2 } })
  t.same(await handler(req, fakeCtx()), { body: { sku: 'BOLT', quantity: 2 }, query: { limit: 3 } })
  // The declaration stays on the handler, for the scanner and the OpenAPI document.
  t.equal(handler.access, 'operator')
  t.equal(handler.summary, 'Takes stock')
  t.equal(handler.body, body)
  t.equal(handler.query, query)
})

t.test('refuses what does not fit before the handler runs', async (t) => {
  let ran = false
  const handler = defineHandler({ access: 'operator', body, query }, async () => (ran = true))
  await t.rejects(handler(request('POST', '/x', { body: { sku: 'bolt' } }), fakeCtx()), {
    status: 400,
    code: 'VALIDATION_FAILED',
    details: [{ path: 'quantity' }],
  })
  await t.rejects(
    handler(request('POST', '/x?limit=many', { body: { sku: 'a', quantity: 1 } }), fakeCtx()),
    { status: 400, code: 'VALIDATION_FAILED', details: [{ path: 'limit' }] }
  )
  await t.rejects(
    handler(
      request('POST', '/x', { body: 'x', headers: { 'content-type': 'text/plain' } }),
      fakeCtx()
    ),
    { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' }
  )
  t.equal(ran, false)
})

t.test(
  'a route that declares no body or query takes none, and refuses any before it acts',
  async (t) => {
    let ran = 0
    const handler = defineHandler(
      { access: 'admin' },
      async (_request, _ctx, input) => (ran++, input)
    )
    for (const given of [undefined, '', ' \n', {}]) {
      t.same(await handler(request('POST', '/x', { body: given }), fakeCtx()), {
        body: undefined,
        query: undefined,
      })
    }
    t.equal(ran, 4, 'nothing, blanks or {}: taken')
    await t.rejects(handler(request('POST', '/x', { body: 'not json' }), fakeCtx()), {
      status: 400,
      code: 'INVALID_JSON',
    })
    await t.rejects(handler(request('DELETE', '/x', { body: { confirm: 'q' } }), fakeCtx()), {
      status: 400,
      code: 'VALIDATION_FAILED',
      details: [{ path: 'confirm', message: 'is not taken by this route' }],
    })
    await t.rejects(handler(request('POST', '/x', { body: [1] }), fakeCtx()), {
      status: 400,
      code: 'VALIDATION_FAILED',
      details: [{ message: 'must be empty or {}: this route takes no body' }],
    })
    await t.rejects(handler(request('GET', '/x?limit=-1&foo=bar'), fakeCtx()), {
      status: 400,
      code: 'VALIDATION_FAILED',
      details: [{ path: 'limit' }, { path: 'foo', message: 'is not taken by this route' }],
    })
    t.equal(ran, 4, 'none of those ran it')
  }
)

t.test('a route that also takes text gets it unparsed, within its own limit', async (t) => {
  const handler = defineHandler(
    {
      access: 'admin',
      body,
      text: { type: 'text/csv', description: 'rows', example: 'sku\nA\n' },
      maxBodyBytes: 200_000,
    },
    async (_request, _ctx, input) => input
  )
  const csv = { 'content-type': 'text/csv; charset=utf-8' }
  t.same(await handler(request('POST', '/x', { body: 'sku\r\nA\r\n', headers: csv }), fakeCtx()), {
    body: undefined,
    query: undefined,
    text: 'sku\r\nA\r\n',
  })
  const json = request('POST', '/x', { body: { sku: 'a', quantity: 1 } })
  t.match(await handler(json, fakeCtx()), { body: { sku: 'A', quantity: 1 }, text: undefined })
  const large = 'x'.repeat(100_000)
  t.equal(
    (await handler(request('POST', '/x', { body: large, headers: csv }), fakeCtx())).text,
    large
  )
  await t.rejects(
    handler(request('POST', '/x', { body: 'x'.repeat(200_001), headers: csv }), fakeCtx()),
    { status: 413, code: 'PAYLOAD_TOO_LARGE', message: 'Request body is larger than 200000 bytes' }
  )
  t.throws(
    () => defineHandler({ access: 'admin', maxBodyBytes: 17 * 1024 * 1024 }, async () => 1),
    /over the cap/
  )
})
