import t from 'tap'
import { z } from 'zod'
import { MAX_BODY_BYTES, readJson, readQuery } from '../../runtime/input.ts'

const schema = z.strictObject({ sku: z.string(), quantity: z.number().int().positive() })
const post = (
  body: BodyInit | null,
  headers: Record<string, string> = { 'content-type': 'application/json' }
) =>
  new Request('http://node.test/x', {
    method: 'POST',
    body,
    headers,
    duplex: 'half',
  } as RequestInit)

t.test('reads and validates a JSON body', async (t) => {
  t.same(await readJson(post('{"sku":"A","quantity":2}'), schema), { sku: 'A', quantity: 2 })
  t.same(
    await readJson(
      post('{"sku":"A","quantity":2}', { 'content-type': 'application/json; charset=utf-8' }),
      schema
    ),
    {
      sku: 'A',
      quantity: 2,
    }
  )
})

t.test('refuses what is not JSON, or too big, with the status that says why', async (t) => {
  await t.rejects(readJson(post('{}', { 'content-type': 'text/plain' }), schema), {
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
  })
  await t.rejects(readJson(post('', {}), schema), { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' })
  await t.rejects(readJson(post(''), schema), {
    status: 400,
    code: 'INVALID_JSON',
    message: /empty/,
  })
  await t.rejects(readJson(post('{"sku":'), schema), { status: 400, code: 'INVALID_JSON' })
  await t.rejects(readJson(post(new Uint8Array([0x7b, 0xff, 0x7d])), schema), {
    status: 400,
    message: /UTF-8/,
  })
  const big = `{"sku":"${'x'.repeat(MAX_BODY_BYTES)}","quantity":1}`
  await t.rejects(readJson(post(big), schema), { status: 413, code: 'PAYLOAD_TOO_LARGE' })
  // A streamed body declares no length: the limit still holds.
  const stream = new ReadableStream({
    start(controller) {
      for (let i = 0; i < 10; i++)
        controller.enqueue(new TextEncoder().encode('x'.repeat(MAX_BODY_BYTES / 4)))
      controller.close()
    },
  })
  await t.rejects(readJson(post(stream), schema), { status: 413, code: 'PAYLOAD_TOO_LARGE' })
  // An encoded body would be read as the bytes came: refused, saying so; identity is no encoding.
  const json = { 'content-type': 'application/json' }
  await t.rejects(
    readJson(post('{"sku":"A","quantity":2}', { ...json, 'content-encoding': 'gzip' }), schema),
    { status: 415, message: /^Content-Encoding gzip is not taken/ }
  )
  t.same(
    await readJson(
      post('{"sku":"A","quantity":2}', { ...json, 'content-encoding': 'identity' }),
      schema
    ),
    { sku: 'A', quantity: 2 }
  )
  // Every body is read as UTF-8: one said to be in another character set would be misread.
  for (const charset of [
    'utf-16',
    'latin1',
    '"UTF-16LE"',
    '',
    'utf-8; charset=utf-16',
    'utf-8; charset=utf-8',
  ]) {
    await t.rejects(
      readJson(
        post('{"sku":"A","quantity":2}', {
          'content-type': `application/json; charset=${charset}`,
        }),
        schema
      ),
      { status: 415, message: /^charset .* is not taken: send the body as UTF-8/ },
      charset
    )
  }
  for (const charset of ['UTF-8', 'utf8', '"utf-8"']) {
    t.same(
      await readJson(
        post('{"sku":"A","quantity":2}', { 'content-type': `application/json;charset=${charset}` }),
        schema
      ),
      { sku: 'A', quantity: 2 },
      charset
    )
  }
})

t.test('lists every problem with its field path', async (t) => {
  await t.rejects(readJson(post('{"sku":3,"quantity":-1,"colour":"red"}'), schema), {
    status: 400,
    code: 'VALIDATION_FAILED',
    details: [
      { path: 'sku', message: /expected string/ },
      { path: 'quantity', message: /0/ },
      { path: 'colour', message: 'is not a known field' },
    ],
  })
})

t.test('validates the query string, refusing unknown parameters', async (t) => {
  const query = z.strictObject({ limit: z.coerce.number().int().default(50) })
  t.same(readQuery({ query: {} }, query), { limit: 50 })
  t.same(readQuery({ query: { limit: '7' } }, query), { limit: 7 })
  t.throws(() => readQuery({ query: { limit: ['7', '8'] } }, query), {
    code: 'VALIDATION_FAILED',
    message: 'Invalid query: limit must be given once',
  })
  t.throws(() => readQuery({ query: { lmit: '7' } }, query), {
    status: 400,
    code: 'VALIDATION_FAILED',
    details: [{ path: 'lmit' }],
  })
})

t.test(
  'refuses text that is not valid Unicode, naming each field, field names included',
  async (t) => {
    const loose = z.object({}).loose()
    // Raw JSON escapes: a lone high half, a lone low half deep inside, half an emoji as a key.
    const body = '{"note":"\\ud800","lines":[{"ref":"ok"},{"ref":"x\\udfff"}],"\\ud83d":1}'
    await t.rejects(readJson(post(body), loose), {
      status: 400,
      code: 'VALIDATION_FAILED',
      message: /^Invalid request body: note is not valid Unicode text \(a lone surrogate\)/,
      details: [
        { path: 'note', message: 'is not valid Unicode text (a lone surrogate)' },
        { path: 'lines.1.ref', message: 'is not valid Unicode text (a lone surrogate)' },
        { path: '\\ud83d', message: /^is a field name that is not valid Unicode/ },
      ],
    })
    t.same(
      await readJson(post('{"note":"\\ud83d\\ude00 caf\\u00e9 \u20ac"}'), loose),
      { note: '😀 café €' },
      'a whole emoji, escaped or not, is text like any other'
    )
  }
)

t.test('a body over the limit is refused without cancelling the stream it came on', async (t) => {
  // In the node the stream is the connection's request: cancelling it destroys the socket, and
  // the 413 is never sent (tests/integration/http-limits.test.ts shows it on a real socket).
  let cancelled = false
  const stream = new ReadableStream({
    pull(controller) {
      controller.enqueue(new TextEncoder().encode('x'.repeat(16 * 1024)))
    },
    cancel() {
      cancelled = true
    },
  })
  await t.rejects(readJson(post(stream), schema), {
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
    headers: { connection: 'close' },
  })
  t.equal(cancelled, false, 'the rest is left to the closing connection')
})

t.test('a body nested deeper than 100 levels is refused, brackets in strings aside', async (t) => {
  const anything = z.unknown()
  const nested = (levels: number) => `{"body":${'['.repeat(levels - 1)}${']'.repeat(levels - 1)}}`
  t.same(await readJson(post(nested(100)), anything), JSON.parse(nested(100)), '100 levels')
  await t.rejects(readJson(post(nested(101)), anything), {
    status: 400,
    code: 'VALIDATION_FAILED',
    message: 'Request body is nested more than 100 levels deep',
  })
  await t.rejects(readJson(post(nested(5000)), anything), { code: 'VALIDATION_FAILED' })
  const brackets = `{"note":"${'[{'.repeat(200)}\\"]"}`
  t.same(await readJson(post(brackets), anything), JSON.parse(brackets), 'text is not nesting')
})

t.test('a key given twice in one object is refused: no request reads two ways', async (t) => {
  const anything = z.unknown()
  for (const [body, key] of [
    ['{"type":"receipt","sku":"A","quantity":1,"type":"issue"}', 'type'],
    ['{"lines":[{"sku":"A","n":1},{"sku":"B","n":2,"sku":"C"}]}', 'sku'],
    ['{"a":{"b":1},"a":2}', 'a'],
    ['{"\\u0061":1,"a":2}', 'a'],
  ]) {
    await t.rejects(
      readJson(post(body), anything),
      {
        status: 400,
        code: 'VALIDATION_FAILED',
        message: `Request body: ${key} is given twice in one object`,
        details: [{ path: key }],
      },
      body
    )
  }
  // The same key in sibling objects, a key's name as a value, commas and colons in strings.
  for (const body of [
    '{"lines":[{"sku":"A"},{"sku":"B"}]}',
    '{"a":"a","b":{"a":1},"c":["a","a"]}',
    '{"note":"x\\",\\"note\\":\\"y","n":{"note":1}}',
    '[{"a":1},{"a":2}]',
  ]) {
    t.same(await readJson(post(body), anything), JSON.parse(body), body)
  }
})
