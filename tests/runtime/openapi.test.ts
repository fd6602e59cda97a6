// GET /openapi.json is made from the routes as the scanner loads them and from what their handlers
// declare; these tests hold it to the routes, to OpenAPI 3.1, and to the requests the node takes.
import { fileURLToPath } from 'node:url'
import { Validator } from '@seriousme/openapi-schema-validator'
import { Ajv2020 } from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import { pino } from 'pino'
import t from 'tap'
import type { DbClient } from '../../runtime/db-client.ts'
import type { HandlerOptions } from '../../runtime/index.ts'
import { openApiDocument, openApiPath } from '../../runtime/openapi.ts'
import { createApp, loadRoutes } from '../../runtime/router.ts'
import { node, send } from '../fixtures/app-kit.ts'

// The handlers beside these tests: the sources under tsx, the built ones under dist/.
const routes = await loadRoutes(fileURLToPath(new URL('../../handlers/', import.meta.url)))
const document = openApiDocument(routes, '1.2.3')
type Json = Record<string, any>
const paths = document.paths as Json

const ajv = new Ajv2020({ strict: true, allErrors: true })
addFormats.default(ajv)
// Query and path parameters travel as text: '50' is the integer 50, as the node reads it.
const params = new Ajv2020({ strict: true, allErrors: true, coerceTypes: true })
addFormats.default(params)

const declared = (handler: unknown) => handler as HandlerOptions
const name = (route: { method: string; path: string }) =>
  `${route.method.toUpperCase()} ${route.path}`

t.test('is a valid OpenAPI 3.1 document', async (t) => {
  const result = await new Validator().validate(structuredClone(document))
  t.same(result.errors, undefined)
  t.ok(result.valid)
  t.equal(document.openapi, '3.1.0')
  t.match(document.info, { title: 'almacen node', version: '1.2.3' })
})

t.test('names every route the scanner loads, with its method, and nothing else', async (t) => {
  t.ok(routes.length > 40, `${routes.length} routes loaded`)
  const listed = Object.entries(paths).flatMap(([path, methods]) =>
    Object.keys(methods as Json).map((method) => `${method.toUpperCase()} ${path}`)
  )
  const loaded = routes.map((r) => `${r.method.toUpperCase()} ${openApiPath(r.path)}`)
  t.same(listed.sort(), loaded.sort())
  t.ok(paths['/items/{sku}'].patch, 'parameters are written {sku}')
  t.ok(paths['/openapi.json'].get, 'and the document itself')
})

t.test('says who may call each route, as its handler declares it', async (t) => {
  for (const route of routes) {
    const operation = paths[openApiPath(route.path)][route.method]
    t.equal(operation['x-access'], route.access, name(route))
    const expected =
      route.access === 'public'
        ? []
        : route.access === 'peer'
          ? [{ clusterSignature: [] }]
          : [{ bearerToken: [route.access] }]
    t.same(operation.security, expected, name(route))
    t.ok(operation.summary, `${name(route)} has a summary`)
  }
  t.same(paths['/openapi.json'].get.security, [], 'the documentation is public')
  t.same(paths['/movements'].post.security, [{ bearerToken: ['operator'] }])
})

t.test('offers an Idempotency-Key on the writes clients send, not on reads or peers', async (t) => {
  const keyed = (method: string, path: string) =>
    (paths[path][method].parameters ?? []).some((p: Json) => p.name === 'Idempotency-Key')
  t.ok(keyed('post', '/movements'))
  t.ok(keyed('patch', '/items/{sku}'))
  t.notOk(keyed('get', '/movements'))
  t.notOk(keyed('post', '/peer/stock'))
})

t.test('a route that also takes CSV documents it, with its limit and an example', async (t) => {
  const body = paths['/items/import'].post.requestBody
  t.match(body.description, `At most ${16 * 1024 * 1024} bytes`)
  t.match(body.content['text/csv'], { schema: { type: 'string' }, example: /^sku,name,unit/ })
  t.ok(body.content['application/json'].schema, 'and its JSON form')
  const route = routes.find((r) => r.path === '/items/import')
  t.equal(declared(route?.handler).text?.type, 'text/csv')
})

t.test('refusals are described by the error body of api/errors.ts', async (t) => {
  const schema = (document.components as Json).schemas.Error
  const valid = ajv.compile(schema)
  t.ok(valid({ status: 409, error: 'Cannot issue 500 ea', code: 'INSUFFICIENT_STOCK' }))
  t.notOk(valid({ status: 409, error: 'no code' }))
  t.same(paths['/movements'].post.responses['4XX'], { $ref: '#/components/responses/Error' })
})

/** The example request a route declares, as the document must take it. */
function exampleOf(route: (typeof routes)[number]) {
  const { example = {}, body } = declared(route.handler)
  const operation = paths[openApiPath(route.path)][route.method]
  const parameters = (operation.parameters ?? []) as Json[]
  const inPlace = (where: string) => parameters.filter((p) => p.in === where)
  const objectOf = (list: Json[]) => ({
    type: 'object',
    properties: Object.fromEntries(list.map((p) => [p.name, p.schema])),
    required: list.filter((p) => p.required).map((p) => p.name),
    additionalProperties: false,
  })
  const pathParams = Object.fromEntries(inPlace('path').map((p) => [p.name, 'X1']))
  return {
    operation,
    body: example.body,
    bodySchema: body,
    // A route that declares no example is asked with the least it takes: no query, no body.
    query: example.query ?? {},
    params: { ...pathParams, ...example.params },
    querySchema: objectOf(inPlace('query')),
    pathSchema: objectOf(inPlace('path')),
  }
}

t.test("every route's example request is one the document and the node both take", async (t) => {
  for (const route of routes) {
    const example = exampleOf(route)
    const where = name(route)
    const { query } = declared(route.handler)
    t.ok(params.validate(example.pathSchema, { ...example.params }), `${where}: path`)
    t.ok(params.validate(example.querySchema, { ...example.query }), `${where}: query`)
    if (query) t.ok(query.safeParse(example.query).success, `${where}: the node takes its query`)
    if (!example.bodySchema) {
      t.equal(example.body, undefined, `${where} reads no body, and shows none`)
      continue
    }
    t.not(example.body, undefined, `${where} reads a body: it declares an example`)
    const schema = example.operation.requestBody.content['application/json'].schema
    const valid = ajv.compile(schema)
    t.ok(
      valid(example.body),
      `${where}: the document takes its body ${ajv.errorsText(valid.errors)}`
    )
    t.ok(example.bodySchema.safeParse(example.body).success, `${where}: the node takes its body`)
    t.same(example.operation.requestBody.content['application/json'].example, example.body)
    // An unknown field: refused by both (client routes), or taken by both (the peers' messages,
    // which a newer node may extend).
    const extra = { ...(example.body as object), notAField: 1 }
    const taken = example.bodySchema.safeParse(extra).success
    t.equal(valid(extra), taken, `${where}: the document and the node agree on notAField`)
    if (route.access !== 'peer') t.notOk(taken, `${where} refuses notAField`)
  }
})

t.test('the node serves the document, and a page made from it', async (t) => {
  const app = createApp(routes, {
    db: {} as DbClient,
    log: pino({ level: 'silent' }),
    node,
    membership: {} as never,
    events: {} as never,
  })
  const json = await send(app, 'GET', '/openapi.json')
  t.equal(json.status, 200)
  t.same(await json.json(), openApiDocument(routes, node.version))
  const page = await send(app, 'GET', '/docs')
  t.equal(page.status, 200)
  t.match(page.headers.get('content-type'), /^text\/html/)
  t.match(page.headers.get('content-security-policy'), /default-src 'none'/)
  const html = await page.text()
  for (const route of routes) {
    const path = openApiPath(route.path).replace(/[{}]/g, (c) => `\\${c}`)
    t.match(
      html,
      new RegExp(`${route.method.toUpperCase()}</span> <code>${path}</code>`),
      name(route)
    )
  }
  t.match(html, /&quot;reorderPoint&quot;: 50/, 'with the examples')
  t.notMatch(html, /<script/i, 'and no script')
})
