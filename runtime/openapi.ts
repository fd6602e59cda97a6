// The node's OpenAPI 3.1 document, made from the routes as loaded: each one's method and path from
// its file's name, who may call it, and what its handler declares (defineHandler's options): its
// summary, the zod schemas of its query and body (as JSON Schema, zod's own conversion) and an
// example. The runtime validates with those same schemas, so the document cannot drift from them.
import { z } from 'zod'
import { errorBody } from '../api/errors.ts'
import { idempotencyKey } from '../api/fields.ts'
import type { Handler, HandlerOptions, OpenApiDocument } from './context.ts'
import type { Access } from './stages/access.ts'
import { changesState } from './stages/guards.ts'

/** What the document needs of a loaded route (runtime/router.ts). */
export interface DocumentedRoute {
  method: string
  /** itty-router pattern: /items/:sku */
  path: string
  access: Access
  handler: Handler
}

type JsonSchema = Record<string, unknown>

/** Who may call a route, as OpenAPI security requirements (roles named as 3.1 allows). */
const SECURITY: Record<Access, Record<string, string[]>[]> = {
  public: [],
  peer: [{ clusterSignature: [] }],
  viewer: [{ bearerToken: ['viewer'] }],
  operator: [{ bearerToken: ['operator'] }],
  admin: [{ bearerToken: ['admin'] }],
}

const SECURITY_SCHEMES = {
  bearerToken: {
    type: 'http',
    scheme: 'bearer',
    description:
      'An API token in `Authorization: Bearer <token>`. A route names the least role it needs: ' +
      'viewer (reads), operator (movements, transfers, verify), admin (catalogue, ledger, ' +
      'membership); a stronger role may call it too.',
  },
  clusterSignature: {
    type: 'apiKey',
    in: 'header',
    name: 'x-almacen-signature',
    description:
      'Node-to-node only: the request is signed with the cluster key (x-almacen-node, -to, ' +
      '-time, -nonce and -signature headers, made by network/transport/signing.ts) and so is ' +
      'the answer. Not for clients.',
  },
}

/** A zod schema as JSON Schema 2020-12 (OpenAPI 3.1's dialect), as the request must be sent. */
function jsonSchema(schema: z.ZodType): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io: 'input' })
  return rest
}

/** The declaration a handler carries (defineHandler); none for a bare function (a test's). */
/** /items/:sku → /items/{sku} */
export function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z0-9]+)/g, '{$1}')
}

/** Routes are grouped by their first segment; the lone ones (/health, /docs) as `node`. */
function tagger(routes: DocumentedRoute[]) {
  const first = (path: string) => path.split('/')[1]
  const groups = new Set(
    routes.filter((r) => r.path.split('/').length > 2).map((r) => first(r.path))
  )
  return (path: string) => (groups.has(first(path)) ? first(path) : 'node')
}

function queryParameters(route: DocumentedRoute, schema: z.ZodType, example?: object) {
  const object = jsonSchema(schema)
  const properties = object.properties as Record<string, JsonSchema> | undefined
  if (object.type !== 'object' || !properties) {
    throw new Error(`${route.method.toUpperCase()} ${route.path}: its query must be a zod object`)
  }
  const required = new Set((object.required as string[] | undefined) ?? [])
  return Object.entries(properties).map(([name, property]) => ({
    name,
    in: 'query',
    required: required.has(name),
    schema: property,
    ...(example && name in example && { example: (example as Record<string, string>)[name] }),
  }))
}

function operationOf(route: DocumentedRoute, tag: string) {
  const declared = route.handler as Partial<HandlerOptions>
  const example = declared.example
  const writes = changesState(route.method.toUpperCase())
  const parameters: object[] = [...route.path.matchAll(/:([A-Za-z0-9]+)/g)].map(([, name]) => ({
    name,
    in: 'path',
    required: true,
    schema: { type: 'string' },
    ...(example?.params?.[name] !== undefined && { example: example.params[name] }),
  }))
  if (declared.query) parameters.push(...queryParameters(route, declared.query, example?.query))
  if (writes && route.access !== 'peer') {
    parameters.push({
      name: 'Idempotency-Key',
      in: 'header',
      required: false,
      description:
        'A retry with the same key is answered with the first outcome, and applied once at most.',
      schema: jsonSchema(idempotencyKey),
    })
  }
  const { text, maxBodyBytes } = declared
  const body = declared.body
    ? {
        required: true,
        ...(maxBodyBytes !== undefined && { description: `At most ${maxBodyBytes} bytes.` }),
        content: {
          'application/json': {
            schema: jsonSchema(declared.body),
            ...(example?.body !== undefined && { example: example.body }),
          },
          ...(text && {
            [text.type]: {
              schema: { type: 'string', description: text.description },
              example: text.example,
            },
          }),
        },
      }
    : writes && {
        required: false,
        description:
          'Nothing is read; send `content-type: application/json` (an empty body is fine).',
        content: { 'application/json': {} },
      }
  const error = { $ref: '#/components/responses/Error' }
  return {
    operationId: `${route.method}${route.path}`.replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string) =>
      c ? c.toUpperCase() : ''
    ),
    ...(declared.summary && { summary: declared.summary }),
    tags: [tag],
    'x-access': route.access,
    security: SECURITY[route.access],
    ...(parameters.length > 0 && { parameters }),
    ...(body && { requestBody: body }),
    responses: {
      '2XX': { description: 'Done: the answer (JSON unless said otherwise)' },
      '4XX': error,
      '5XX': error,
    },
  }
}

/** The OpenAPI 3.1 document of these routes. */
export function openApiDocument(routes: DocumentedRoute[], version: string): OpenApiDocument {
  const paths: Record<string, Record<string, unknown>> = {}
  const tagOf = tagger(routes)
  for (const route of routes) {
    const path = openApiPath(route.path)
    paths[path] = { ...paths[path], [route.method]: operationOf(route, tagOf(route.path)) }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'almacen node',
      version,
      description:
        "One warehouse's stock: its catalogue, its ledger of movements, transfers to the other " +
        'warehouses and company-wide questions. Made by the node from the schemas its routes ' +
        'validate with. Some rules are checked by the node but cannot be said in JSON Schema (a ' +
        'SKU listed once per transfer, an adjustment with a count or a delta but not both, a ' +
        'delta not zero, a patch that changes something): they are refused with 400 ' +
        'VALIDATION_FAILED naming the field, as every other invalid input is.',
    },
    servers: [{ url: '/' }],
    paths,
    components: {
      securitySchemes: SECURITY_SCHEMES,
      schemas: { Error: jsonSchema(errorBody) },
      responses: {
        Error: {
          description: 'A refusal: `code` is for programs, `error` a sentence for a person',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
        },
      },
    },
  }
}
