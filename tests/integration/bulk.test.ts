// Bulk work on a real node: items imported from CSV or JSON (all or nothing, or line by line),
// the catalogue and the stock exported, and movements recorded in a batch, each line under its
// own idempotency key.
import t from 'tap'
import { api, startTestNode } from '../fixtures/test-node.ts'
import { nodeFetch } from '../fixtures/tokens.ts'

const CSV = { 'content-type': 'text/csv' }
const HEADER = 'sku,name,unit,description,reorderPoint'

async function skus(node: { url: string }): Promise<string[]> {
  const { body } = await api(node, 'GET', '/items?limit=500')
  return body.items.map((i: { sku: string }) => i.sku)
}

t.test('imports a CSV with a BOM, CRLF line ends and quoted fields', async (t) => {
  const node = await startTestNode(t)
  const file =
    '\ufeffsku,name,unit,description,reorderPoint\r\n' +
    'bolt-m8,"Bolt, M8",ea,"The ""good"" ones\r\nzinc plated",50\r\n' +
    '\r\n' +
    'ROPE-10,Rope 10 mm,m,,\r\n'
  const keyed = { ...CSV, 'idempotency-key': 'import-1' }
  const { status, body } = await api(node, 'POST', '/items/import', file, keyed)
  t.equal(status, 200)
  t.match(body, { mode: 'all', existing: 'refuse', lines: 2, created: 2, refused: [] })
  const again = await api(node, 'POST', '/items/import', file, keyed)
  t.same([again.status, again.body], [200, body], 'a retry with its key: the first outcome')
  t.equal(again.headers.get('idempotent-replayed'), 'true')
  const bolt = (await api(node, 'GET', '/items/BOLT-M8')).body
  t.match(bolt, {
    sku: 'BOLT-M8',
    name: 'Bolt, M8',
    unit: 'ea',
    description: 'The "good" ones\r\nzinc plated',
    reorderPoint: 50,
  })
  t.equal((await api(node, 'GET', '/items/ROPE-10')).body.reorderPoint, null)
  t.match((await api(node, 'GET', '/stock/ROPE-10')).body, { onHand: 0 })
})

t.test('a bad line is named by its line, and nothing of the file is applied', async (t) => {
  const node = await startTestNode(t)
  const file = [
    HEADER,
    'A-1,First,ea,,',
    'A-2,"Second,',
    'spanning two lines",ea,,',
    'A 3,Third,ea,,',
    'A-4,Fourth,ea,,-5',
    'A-5,Fifth,ea',
    '',
  ].join('\n')
  const { status, body } = await api(node, 'POST', '/items/import', file, CSV)
  t.equal(status, 400)
  t.equal(body.code, 'VALIDATION_FAILED')
  t.match(body.error, /^3 of 5 lines are not valid, so nothing was imported/)
  t.match(body.details, [
    { line: 5, path: 'line 5.sku', message: /letters, digits/ },
    { line: 6, path: 'line 6.reorderPoint', message: 'must not be negative' },
    { line: 7, path: 'line 7', message: 'Line 7 has 3 fields; the header has 5' },
  ])
  t.same(await skus(node), [], 'nothing imported')

  const lines = await api(node, 'POST', '/items/import?mode=lines', file, CSV)
  t.equal(lines.status, 200)
  t.match(lines.body, { mode: 'lines', lines: 5, created: 2 })
  t.same(
    lines.body.refused.map((r: { line: number }) => r.line),
    [5, 6, 7]
  )
  t.same(await skus(node), ['A-1', 'A-2'], 'the good lines, the one in quotes over two lines too')

  // The same file with CRLF line ends (as spreadsheets write it): the lines are the editor's too.
  const crlf = await api(node, 'POST', '/items/import', file.replaceAll('\n', '\r\n'), CSV)
  t.match(crlf.body.details, [{ line: 5 }, { line: 6 }, { line: 7 }], 'named by the same lines')
})

t.test('existing SKUs are refused by default, or skipped, or updated', async (t) => {
  const node = await startTestNode(t)
  await api(node, 'POST', '/items', { sku: 'OLD', name: 'Old', unit: 'ea' })
  await api(node, 'POST', '/movements', { type: 'receipt', sku: 'OLD', quantity: 1 })
  await api(node, 'POST', '/items', { sku: 'SAME', name: 'Same', unit: 'kg' })
  const file = `sku,name,unit\nNEW,New,ea\nold,Old renamed,ea\nSAME,Same,kg\nnew,Again,ea\n`

  const refused = await api(node, 'POST', '/items/import', file, CSV)
  t.equal(refused.status, 409)
  t.match(refused.body.details, [
    { line: 3, message: 'An item with SKU OLD already exists' },
    { line: 4, message: 'An item with SKU SAME already exists' },
    { line: 5, message: 'SKU NEW is already on line 2 of this import' },
  ])
  t.same(await skus(node), ['OLD', 'SAME'], 'nothing applied')

  const once = file.replace('new,Again,ea\n', '')
  const skip = await api(node, 'POST', '/items/import?existing=skip', once, CSV)
  t.match(skip.body, { created: 1, skipped: 2, updated: 0, refused: [] })
  t.equal((await api(node, 'GET', '/items/OLD')).body.name, 'Old')

  const update = `sku,name,unit\nOLD,Old renamed,ea\nSAME,Same,kg\n`
  const updated = await api(node, 'POST', '/items/import?existing=update', update, CSV)
  t.match(updated.body, { updated: 1, unchanged: 1, refused: [] })
  t.equal((await api(node, 'GET', '/items/OLD')).body.name, 'Old renamed')
  // The peers hear of each change as of one made alone: an event per item created or changed.
  const { events } = (await api(node, 'GET', '/events?types=item.created,item.updated')).body
  t.match(
    events.map((e: { type: string; subject: string; data: { name: string } }) => [
      e.type,
      e.subject,
      e.data.name,
    ]),
    [
      ['item.created', 'OLD', 'Old'],
      ['item.created', 'SAME', 'Same'],
      ['item.created', 'NEW', 'New'],
      ['item.updated', 'OLD', 'Old renamed'],
    ]
  )

  const unit = `sku,name,unit\nOLD,Old,kg\n`
  const moved = await api(node, 'POST', '/items/import?existing=update&mode=lines', unit, CSV)
  t.match(moved.body.refused, [{ line: 2, sku: 'OLD', code: 'CONFLICT', error: /cannot change/ }])
})

t.test('the CSV example the API documentation shows imports', async (t) => {
  const node = await startTestNode(t)
  const { default: route } = await import('../../handlers/items/import.post.ts')
  const example = route.text?.example as string
  const { status, body } = await api(node, 'POST', '/items/import', example, CSV)
  t.equal(status, 200)
  t.match(body, { created: 1, refused: [] })
  t.match((await api(node, 'GET', '/items/BOLT-M8')).body, { description: 'Zinc, M8' })
})

t.test('the header is required and its columns known', async (t) => {
  const node = await startTestNode(t)
  const send = (file: string) => api(node, 'POST', '/items/import', file, CSV)
  const unknown = await send('sku,name,unit,colour,weight\nA,B,ea,red,1\n')
  t.equal(unknown.status, 400)
  t.match(unknown.body.error, /Unknown column\(s\) colour, weight/)
  const headless = await send('BOLT-M8,Bolt,ea\n')
  t.match(headless.body.error, /Unknown column\(s\) BOLT-M8, Bolt, ea/)
  t.match((await send('')).body.error, /The file is empty/)
  t.match((await send('sku,name,unit\n')).body.error, /no items after its header/)
  const open = await send('sku,name,unit\nA,"open,ea\n')
  t.equal(open.status, 400)
  t.match(open.body.error, /The CSV cannot be read/)
})

t.test('a file of more items than an import takes is refused whole', async (t) => {
  const node = await startTestNode(t)
  // 50,001 items; then a 16 MB file of short lines, of which no more than that is read.
  const many = `sku,name,unit\n${'A,B,ea\n'.repeat(50_001)}`
  const lines = `sku,name,unit\n${'x\n'.repeat(8_000_000)}`
  for (const file of [many, lines]) {
    const refused = await api(node, 'POST', '/items/import', file, CSV)
    t.equal(refused.status, 400)
    t.equal(refused.body.error, 'The file has more than 50000 items; an import takes 50000 at most')
  }
  t.same((await api(node, 'GET', '/items')).body.items, [], 'nothing imported')
})

t.test('imports JSON, each item checked on its own', async (t) => {
  const node = await startTestNode(t)
  const items = [
    { sku: 'J-1', name: 'One', unit: 'ea' },
    { sku: 'J-2', name: '', unit: 'ea' },
    { sku: 'J-3', name: 'Three', unit: 'ea', colour: 'red' },
  ]
  const all = await api(node, 'POST', '/items/import', { items })
  t.equal(all.status, 400)
  t.match(all.body.details, [
    { line: 2, path: 'line 2.name', message: 'must not be empty' },
    { line: 3, path: 'line 3.colour', message: 'is not a known field' },
  ])
  const lines = await api(node, 'POST', '/items/import?mode=lines', { items })
  t.match(lines.body, { created: 1, refused: [{ line: 2, sku: 'J-2' }, { line: 3 }] })
})

t.test('a body over the route limit gets 413; other routes keep theirs', async (t) => {
  const node = await startTestNode(t)
  const big = `${HEADER}\n` + 'X,'.repeat(8 * 1024 * 1024) + '\n'
  const over = await api(node, 'POST', '/items/import', big, CSV)
  t.equal(over.status, 413)
  t.match(over.body.error, `larger than ${16 * 1024 * 1024} bytes`)
  const file = `${HEADER}\n` + 'P-1,' + 'd'.repeat(100) + ',ea,,\n'
  const hundredK = file + `Q-1,Q,ea,${'x'.repeat(1000)},\n`.repeat(100)
  const taken = await api(node, 'POST', '/items/import?mode=lines', hundredK, CSV)
  t.equal(taken.status, 200, 'over 64 KiB is taken here')
  const elsewhere = await api(node, 'POST', '/items', {
    sku: 'Z',
    name: 'z'.repeat(70_000),
    unit: 'ea',
  })
  t.equal(elsewhere.status, 413, 'and not on POST /items')
})

t.test('exports the catalogue and the stock as CSV and JSON, in pages', async (t) => {
  const node = await startTestNode(t)
  const rows = Array.from(
    { length: 1203 },
    (_, i) => `E-${String(i).padStart(5, '0')},Item ${i},ea,"a, b",${i}`
  )
  const file = [HEADER, ...rows].join('\r\n')
  t.equal((await api(node, 'POST', '/items/import', file, CSV)).status, 200)
  await api(node, 'POST', '/movements', { type: 'receipt', sku: 'E-00002', quantity: 7 })

  const items = await fetch(`${node.url}/items/export`, {
    headers: {
      authorization: `Bearer ${(await import('../fixtures/tokens.ts')).tokenOf(node.url)}`,
    },
  })
  t.equal(items.status, 200)
  t.match(items.headers.get('content-type'), /^text\/csv/)
  const text = await items.text()
  t.equal(text, [HEADER, ...rows].join('\r\n') + '\r\n', 'the file imported, as it was')

  const stock = await api(node, 'GET', '/stock/export?format=json')
  t.equal(stock.status, 200)
  t.equal(stock.body.stock.length, 1203)
  t.match(stock.body.stock[2], { sku: 'E-00002', onHand: 7, low: false })
  const stockCsv = await api(node, 'GET', '/stock/export')
  t.match(stockCsv.body.split('\r\n').slice(0, 2), [
    'sku,name,unit,onHand,inTransit,reorderPoint,low',
    'E-00000,Item 0,ea,0,0,0,true',
  ])
  const empty = await startTestNode(t)
  t.same((await api(empty, 'GET', '/items/export?format=json')).body, { items: [] })
})

t.test(
  'a batch of movements: one answer per line, a replayed line its first outcome',
  async (t) => {
    const node = await startTestNode(t)
    await api(node, 'POST', '/items', { sku: 'B-1', name: 'B', unit: 'ea' })
    const lines = [
      { key: 'k-1', type: 'receipt', sku: 'B-1', quantity: 10 },
      { key: 'k-2', type: 'issue', sku: 'B-1', quantity: 4 },
      { key: 'k-3', type: 'issue', sku: 'B-1', quantity: 100 },
      { key: 'k-4', type: 'receipt', sku: 'NOPE', quantity: 1 },
    ]
    const first = await api(node, 'POST', '/movements/batch', { lines })
    t.equal(first.status, 200)
    const { user } = (await api(node, 'GET', '/me')).body
    t.ok(user)
    t.equal(first.body.answers[0].movement.actor, user, 'each row records who sent the batch')
    t.match(first.body, {
      applied: 2,
      refused: 2,
      answers: [
        { line: 1, key: 'k-1', status: 201, replayed: false, movement: { balanceAfter: 10 } },
        { line: 2, key: 'k-2', status: 201, movement: { balanceAfter: 6 } },
        { line: 3, key: 'k-3', status: 409, code: 'INSUFFICIENT_STOCK' },
        { line: 4, key: 'k-4', status: 404, code: 'NOT_FOUND' },
      ],
    })
    const again = await api(node, 'POST', '/movements/batch', {
      lines: [
        lines[1],
        lines[2],
        { ...lines[0], quantity: 11 },
        { key: 'k-5', type: 'adjustment', sku: 'B-1', countedQuantity: 5 },
      ],
    })
    t.match(again.body.answers, [
      { status: 201, replayed: true, movement: first.body.answers[1].movement },
      { status: 409, replayed: true, code: 'INSUFFICIENT_STOCK' },
      { status: 422, code: 'IDEMPOTENCY_KEY_REUSED' },
      { status: 201, replayed: false, movement: { balanceAfter: 5 } },
    ])
    const single = await api(
      node,
      'POST',
      '/movements',
      { type: 'issue', sku: 'B-1', quantity: 4 },
      { 'idempotency-key': 'k-2' }
    )
    t.equal(single.status, 201, 'the same key through POST /movements: the same first outcome')
    t.equal(single.headers.get('idempotent-replayed'), 'true')
    t.equal((await api(node, 'GET', '/stock/B-1')).body.onHand, 5)

    const keyed = await api(
      node,
      'POST',
      '/movements/batch',
      { lines: [{ key: 'k-9', type: 'receipt', sku: 'B-1', quantity: 1 }] },
      { 'idempotency-key': 'whole' }
    )
    t.equal(keyed.status, 400)
    t.match(keyed.body.error, /Idempotency-Key is not taken here/)
    const bad = await api(node, 'POST', '/movements/batch', {
      lines: [{ type: 'receipt', sku: 'B-1', quantity: 1 }],
    })
    t.equal(bad.status, 400)
    t.match(bad.body.details, [{ path: 'lines.0.key' }])
  }
)
