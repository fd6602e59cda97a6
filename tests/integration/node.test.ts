import t from 'tap'
import { tempDir } from '../fixtures/temp-dir.ts'
import { api, startTestNode } from '../fixtures/test-node.ts'

const json = { 'content-type': 'application/json' }

t.test('a person can drive every route of a node over HTTP', async (t) => {
  // The node as it runs for real: its worker a process of its own, on a database file.
  const node = await startTestNode(t, { name: 'Madrid Norte', worker: 'process' })

  t.match((await api(node, 'GET', '/health')).body, { status: 'ok', worker: { ok: true } })
  t.match((await api(node, 'GET', '/node')).body, {
    id: node.identity.id,
    name: 'Madrid Norte',
    counts: { items: 0, movements: 0 },
    database: { journalMode: 'wal', synchronous: 'full' },
  })

  const created = await api(node, 'POST', '/items', {
    sku: 'bolt-m8',
    name: 'Bolt M8',
    unit: 'ea',
    reorderPoint: 5,
  })
  t.equal(created.status, 201)
  t.equal(created.headers.get('location'), '/items/BOLT-M8')
  t.equal(
    (await api(node, 'POST', '/items', { sku: 'NUT-M8', name: 'Nut M8', unit: 'ea' })).status,
    201
  )
  t.match((await api(node, 'PATCH', '/items/bolt-m8', { description: 'zinc plated' })).body, {
    sku: 'BOLT-M8',
    description: 'zinc plated',
  })
  t.match((await api(node, 'GET', '/items?search=zinc')).body, {
    items: [{ sku: 'BOLT-M8' }],
    nextCursor: null,
  })
  t.match((await api(node, 'GET', '/items/BOLT-M8')).body, { name: 'Bolt M8', reorderPoint: 5 })

  const receipt = await api(node, 'POST', '/movements', {
    type: 'receipt',
    sku: 'BOLT-M8',
    quantity: 10,
    reference: 'PO-17',
  })
  t.match(receipt, {
    status: 201,
    body: { seq: 1, delta: 10, balanceAfter: 10, reference: 'PO-17' },
  })
  t.match(
    (await api(node, 'POST', '/movements', { type: 'issue', sku: 'BOLT-M8', quantity: 4 })).body,
    {
      seq: 2,
      balanceAfter: 6,
    }
  )
  t.match(
    (
      await api(node, 'POST', '/movements', {
        type: 'adjustment',
        sku: 'BOLT-M8',
        countedQuantity: 5,
      })
    ).body,
    {
      seq: 3,
      delta: -1,
      balanceAfter: 5,
    }
  )
  t.match(
    (await api(node, 'POST', '/movements', { type: 'adjustment', sku: 'BOLT-M8', delta: 2 })).body,
    {
      seq: 4,
      balanceAfter: 7,
    }
  )

  t.match((await api(node, 'GET', '/stock/bolt-m8')).body, {
    sku: 'BOLT-M8',
    onHand: 7,
    low: false,
  })
  t.match((await api(node, 'GET', '/stock')).body, {
    stock: [
      { sku: 'BOLT-M8', onHand: 7 },
      { sku: 'NUT-M8', onHand: 0 },
    ],
  })
  // NUT-M8 has no reorder point: empty, but never low, until it gets one.
  t.same((await api(node, 'GET', '/stock?low=true')).body, { stock: [], nextCursor: null })
  await api(node, 'PATCH', '/items/NUT-M8', { reorderPoint: 10 })
  t.match((await api(node, 'GET', '/stock?low=true')).body, { stock: [{ sku: 'NUT-M8' }] })
  t.match((await api(node, 'PATCH', '/items/NUT-M8', { reorderPoint: null })).body, {
    reorderPoint: null,
  })
  t.match((await api(node, 'GET', '/stock/NUT-M8')).body, { reorderPoint: null, low: false })

  const history = await api(node, 'GET', '/movements?sku=BOLT-M8&limit=3')
  t.same(
    history.body.movements.map((m: { seq: number }) => m.seq),
    [4, 3, 2]
  )
  const older = await api(
    node,
    'GET',
    `/movements?sku=BOLT-M8&limit=3&cursor=${history.body.nextCursor}`
  )
  t.same(older.body, { movements: [receipt.body], nextCursor: null })
  t.match((await api(node, 'GET', '/movements?type=issue')).body, { movements: [{ seq: 2 }] })

  t.match((await api(node, 'POST', '/ledger/verify')).body, {
    ok: true,
    differences: [],
    checked: { movements: 4 },
  })
  t.match((await api(node, 'POST', '/ledger/rebuild')).body, { rebuilt: 2, changes: [] })
  t.match((await api(node, 'GET', '/node')).body, { counts: { items: 2, movements: 4 } })
})

t.test(
  '20 concurrent issues of 1 against 10 on hand: exactly 10 succeed and stock ends at 0',
  async (t) => {
    const node = await startTestNode(t)
    await api(node, 'POST', '/items', { sku: 'CABLE', name: 'Cable', unit: 'm' })
    await api(node, 'POST', '/movements', { type: 'receipt', sku: 'CABLE', quantity: 10 })

    const replies = await Promise.all(
      Array.from({ length: 20 }, () =>
        api(node, 'POST', '/movements', { type: 'issue', sku: 'CABLE', quantity: 1 })
      )
    )
    const statuses = replies.map((r) => r.status)
    t.equal(statuses.filter((s) => s === 201).length, 10, 'ten issues accepted')
    t.equal(statuses.filter((s) => s === 409).length, 10, 'ten refused')
    for (const refused of replies.filter((r) => r.status === 409)) {
      t.match(refused.body, {
        code: 'INSUFFICIENT_STOCK',
        error: /CABLE.*Test Warehouse.*0 m on hand, short by 1/,
      })
    }
    t.match((await api(node, 'GET', '/stock/CABLE')).body, { onHand: 0 })
    t.match((await api(node, 'POST', '/ledger/verify')).body, {
      ok: true,
      checked: { movements: 11 },
    })
  }
)

t.test('an idempotent retry returns the first response, even after a restart', async (t) => {
  const dataDir = tempDir(t)
  const first = await startTestNode(t, { dataDir })
  await api(first, 'POST', '/items', { sku: 'GLUE', name: 'Glue', unit: 'l' })
  const receipt = { type: 'receipt', sku: 'GLUE', quantity: 3 }
  const key = { 'idempotency-key': 'po-991-line-1' }
  const original = await api(first, 'POST', '/movements', receipt, key)
  t.equal(original.status, 201)
  const again = await api(first, 'POST', '/movements', receipt, key)
  t.same([again.status, again.body], [201, original.body])
  t.equal(again.headers.get('idempotent-replayed'), 'true')
  await first.close()

  const second = await startTestNode(t, { dataDir })
  t.equal(second.identity.id, first.identity.id, 'the node keeps its id')
  const retry = await api(second, 'POST', '/movements', receipt, key)
  t.same([retry.status, retry.body], [201, original.body])
  t.equal(retry.headers.get('idempotent-replayed'), 'true')
  const reused = await api(second, 'POST', '/movements', { ...receipt, quantity: 4 }, key)
  t.match(reused, { status: 422, body: { code: 'IDEMPOTENCY_KEY_REUSED' } })
  t.match((await api(second, 'GET', '/stock/GLUE')).body, { onHand: 3 })
  t.match((await api(second, 'GET', '/node')).body, { counts: { movements: 1 } })
})

t.test('bad input gets a 4xx JSON error naming the problem, and nothing is written', async (t) => {
  const node = await startTestNode(t)
  await api(node, 'POST', '/items', { sku: 'TAPE', name: 'Tape', unit: 'roll', reorderPoint: 2 })
  await api(node, 'POST', '/movements', { type: 'receipt', sku: 'TAPE', quantity: 5 })
  const snapshot = async () => ({
    node: (await api(node, 'GET', '/node')).body.counts,
    items: (await api(node, 'GET', '/items')).body,
    movements: (await api(node, 'GET', '/movements')).body,
  })
  const before = await snapshot()

  const cases: [string, string, string, unknown, Record<string, string>, number, string, RegExp][] =
    [
      [
        'malformed JSON',
        'POST',
        '/movements',
        '{"type":',
        json,
        400,
        'INVALID_JSON',
        /not valid JSON/,
      ],
      ['empty body', 'POST', '/items', '', json, 400, 'INVALID_JSON', /empty/],
      [
        'wrong content type',
        'POST',
        '/items',
        'sku=X',
        { 'content-type': 'application/x-www-form-urlencoded' },
        415,
        'UNSUPPORTED_MEDIA_TYPE',
        /application\/json/,
      ],
      [
        'no content type',
        'POST',
        '/movements',
        new TextEncoder().encode('{}'),
        {},
        415,
        'UNSUPPORTED_MEDIA_TYPE',
        /application\/json/,
      ],
      ['a JSON array', 'POST', '/items', '[]', json, 400, 'VALIDATION_FAILED', /body/],
      [
        'a number as a string',
        'POST',
        '/movements',
        { type: 'receipt', sku: 'TAPE', quantity: '5' },
        json,
        400,
        'VALIDATION_FAILED',
        /quantity/,
      ],
      [
        'missing quantity',
        'POST',
        '/movements',
        { type: 'receipt', sku: 'TAPE' },
        json,
        400,
        'VALIDATION_FAILED',
        /quantity/,
      ],
      [
        'zero quantity',
        'POST',
        '/movements',
        { type: 'issue', sku: 'TAPE', quantity: 0 },
        json,
        400,
        'VALIDATION_FAILED',
        /quantity/,
      ],
      [
        'negative quantity',
        'POST',
        '/movements',
        { type: 'receipt', sku: 'TAPE', quantity: -3 },
        json,
        400,
        'VALIDATION_FAILED',
        /quantity/,
      ],
      [
        'fractional quantity',
        'POST',
        '/movements',
        { type: 'receipt', sku: 'TAPE', quantity: 1.5 },
        json,
        400,
        'VALIDATION_FAILED',
        /whole number/,
      ],
      [
        'huge quantity',
        'POST',
        '/movements',
        { type: 'receipt', sku: 'TAPE', quantity: 1e300 },
        json,
        400,
        'VALIDATION_FAILED',
        /quantity/,
      ],
      [
        'unknown field',
        'POST',
        '/movements',
        { type: 'receipt', sku: 'TAPE', quantity: 1, price: 3 },
        json,
        400,
        'VALIDATION_FAILED',
        /price is not a known field/,
      ],
      [
        'unknown movement type',
        'POST',
        '/movements',
        { type: 'transfer', sku: 'TAPE', quantity: 1 },
        json,
        400,
        'VALIDATION_FAILED',
        /type/,
      ],
      [
        'adjustment with both forms',
        'POST',
        '/movements',
        { type: 'adjustment', sku: 'TAPE', countedQuantity: 1, delta: 1 },
        json,
        400,
        'VALIDATION_FAILED',
        /countedQuantity/,
      ],
      [
        'unknown SKU',
        'POST',
        '/movements',
        { type: 'receipt', sku: 'NOPE', quantity: 1 },
        json,
        404,
        'NOT_FOUND',
        /NOPE/,
      ],
      [
        'issue beyond on hand',
        'POST',
        '/movements',
        { type: 'issue', sku: 'TAPE', quantity: 6 },
        json,
        409,
        'INSUFFICIENT_STOCK',
        /TAPE.*5 roll on hand, short by 1/,
      ],
      [
        'count below zero',
        'POST',
        '/movements',
        { type: 'adjustment', sku: 'TAPE', countedQuantity: -1 },
        json,
        400,
        'VALIDATION_FAILED',
        /countedQuantity/,
      ],
      [
        'adjustment below zero',
        'POST',
        '/movements',
        { type: 'adjustment', sku: 'TAPE', delta: -9 },
        json,
        409,
        'INSUFFICIENT_STOCK',
        /short by 4/,
      ],
      [
        'duplicate SKU',
        'POST',
        '/items',
        { sku: 'tape', name: 'Tape', unit: 'roll' },
        json,
        409,
        'CONFLICT',
        /TAPE already exists/,
      ],
      [
        'bad SKU characters',
        'POST',
        '/items',
        { sku: 'a b/c', name: 'X', unit: 'ea' },
        json,
        400,
        'VALIDATION_FAILED',
        /sku/,
      ],
      [
        'missing name',
        'POST',
        '/items',
        { sku: 'NEW', unit: 'ea' },
        json,
        400,
        'VALIDATION_FAILED',
        /name/,
      ],
      [
        'negative reorder point',
        'POST',
        '/items',
        { sku: 'NEW', name: 'N', unit: 'ea', reorderPoint: -1 },
        json,
        400,
        'VALIDATION_FAILED',
        /reorderPoint/,
      ],
      ['empty patch', 'PATCH', '/items/TAPE', {}, json, 400, 'VALIDATION_FAILED', /at least one/],
      [
        'unit change after movements',
        'PATCH',
        '/items/TAPE',
        { unit: 'box' },
        json,
        409,
        'CONFLICT',
        /unit of TAPE cannot change/,
      ],
      [
        'patch of an unknown item',
        'PATCH',
        '/items/NOPE',
        { name: 'x' },
        json,
        404,
        'NOT_FOUND',
        /NOPE/,
      ],
      [
        'oversized body',
        'POST',
        '/items',
        { sku: 'BIG', name: 'x'.repeat(70_000), unit: 'ea' },
        json,
        413,
        'PAYLOAD_TOO_LARGE',
        /larger than/,
      ],
      [
        'bad idempotency key',
        'POST',
        '/movements',
        { type: 'receipt', sku: 'TAPE', quantity: 1 },
        { ...json, 'idempotency-key': 'ñ' },
        400,
        'VALIDATION_FAILED',
        /Idempotency-Key/,
      ],
      [
        'bad paging limit',
        'GET',
        '/movements?limit=0',
        undefined,
        {},
        400,
        'VALIDATION_FAILED',
        /limit/,
      ],
      [
        'unknown query parameter',
        'GET',
        '/stock?lowest=true',
        undefined,
        {},
        400,
        'VALIDATION_FAILED',
        /lowest is not a known field/,
      ],
      ['bad cursor', 'GET', '/items?cursor=zzz', undefined, {}, 400, 'BAD_REQUEST', /cursor/],
      [
        'bad time filter',
        'GET',
        '/movements?from=yesterday',
        undefined,
        {},
        400,
        'VALIDATION_FAILED',
        /from/,
      ],
      ['unknown route', 'GET', '/warehouses', undefined, {}, 404, 'NOT_FOUND', /\/warehouses/],
      [
        'wrong method',
        'DELETE',
        '/items/TAPE',
        undefined,
        {},
        405,
        'METHOD_NOT_ALLOWED',
        /GET, HEAD, PATCH/,
      ],
      [
        'bad percent-encoding',
        'GET',
        '/items/%E0%A4%A',
        undefined,
        {},
        400,
        'BAD_REQUEST',
        /percent-encoding/,
      ],
    ]
  for (const [name, method, path, body, headers, status, code, message] of cases) {
    const reply = await api(node, method, path, body, headers)
    t.match(reply, { status, body: { status, code, error: message } }, name)
    t.match(reply.headers.get('content-type'), /application\/json/, `${name}: JSON`)
  }
  t.match(
    (await api(node, 'DELETE', '/items/TAPE')).headers.get('allow'),
    /GET.*PATCH/,
    '405 names the allowed methods'
  )
  t.same(await snapshot(), before, 'nothing was written')
  t.match((await api(node, 'POST', '/ledger/verify')).body, { ok: true })
  t.match((await api(node, 'GET', '/health')).body, { status: 'ok' }, 'and the node still serves')
})
