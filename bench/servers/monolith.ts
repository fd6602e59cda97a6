// The monolith a Node developer would write instead of almacen: one process, Fastify + knex +
// sqlite3 in-process, the same schema and the same SQL per request as almacen's phase-1 worker did
// (ledger row + balance + idempotency record in one transaction, one commit per request, FULL sync).
import { createHash } from 'node:crypto'
import Fastify from 'fastify'
import knexFactory, { type Knex } from 'knex'
import { announce, serverArgs } from './server-args.ts'
import { nextMovement, toMovement, toRow, type MovementRow } from './rows.ts'

const args = serverArgs(process.argv.slice(2))
const knex = knexFactory({
  client: 'sqlite3',
  connection: { filename: args.file },
  useNullAsDefault: true,
  pool: {
    min: 1,
    max: 1,
    afterCreate(conn: { exec(sql: string, cb: (err: Error | null) => void): void }, done: any) {
      conn.exec(
        'PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON',
        (err) => done(err, conn)
      )
    },
  },
})

const app = Fastify({ logger: false })

app.get('/health', async () => ({ status: 'ok' }))

app.get<{ Params: { sku: string } }>('/stock/:sku', async (request, reply) => {
  const row = await knex('items')
    .join('balances', 'balances.sku', 'items.sku')
    .where('items.sku', request.params.sku.toUpperCase())
    .first(
      'items.sku',
      'items.name',
      'items.unit',
      'items.reorder_point',
      'balances.on_hand',
      'balances.last_seq',
      'balances.updated_at'
    )
  if (!row) return reply.code(404).send({ status: 404, error: 'No such item', code: 'NOT_FOUND' })
  return {
    sku: row.sku,
    name: row.name,
    unit: row.unit,
    onHand: row.on_hand,
    reorderPoint: row.reorder_point,
    low: row.on_hand <= row.reorder_point,
    lastSeq: row.last_seq,
    updatedAt: row.updated_at,
  }
})

const listQuery = {
  type: 'object',
  required: ['sku'],
  properties: { sku: { type: 'string' }, limit: { type: 'integer', minimum: 1, maximum: 500 } },
}

app.get<{ Querystring: { sku: string; limit?: number } }>(
  '/movements',
  { schema: { querystring: listQuery } },
  async (request) => {
    const limit = request.query.limit ?? 50
    const rows: MovementRow[] = await knex('movements')
      .where('sku', request.query.sku.toUpperCase())
      .orderBy('seq', 'desc')
      .limit(limit + 1)
    const page = rows.slice(0, limit).map(toMovement)
    const more = rows.length > limit
    return { movements: page, nextCursor: more ? String(page[page.length - 1].seq) : null }
  }
)

const movementBody = {
  type: 'object',
  required: ['type', 'sku', 'quantity'],
  additionalProperties: false,
  properties: {
    type: { enum: ['receipt', 'issue'] },
    sku: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' },
    quantity: { type: 'integer', minimum: 1, maximum: 1_000_000_000 },
    reference: { type: 'string', maxLength: 100 },
    note: { type: 'string', maxLength: 1000 },
  },
}
interface MovementBody {
  type: 'receipt' | 'issue'
  sku: string
  quantity: number
  reference?: string
  note?: string
}
type Outcome = { status: number; body: unknown }

async function record(trx: Knex.Transaction, input: MovementBody): Promise<Outcome> {
  const sku = input.sku.toUpperCase()
  const current = await trx('items')
    .join('balances', 'balances.sku', 'items.sku')
    .where('items.sku', sku)
    .first('balances.on_hand', 'items.unit')
  if (!current) return { status: 404, body: { status: 404, error: `No item ${sku}` } }
  const delta = input.type === 'receipt' ? input.quantity : -input.quantity
  const balanceAfter = current.on_hand + delta
  if (balanceAfter < 0) {
    const error = `Cannot issue ${input.quantity} ${current.unit} of ${sku}: only ${current.on_hand} on hand`
    return { status: 409, body: { status: 409, error, code: 'INSUFFICIENT_STOCK' } }
  }
  const head = await trx('movements').orderBy('seq', 'desc').first('seq', 'hash')
  const movement = nextMovement(head, { ...input, sku, delta, balanceAfter })
  await trx('movements').insert(toRow(movement))
  await trx('balances')
    .where({ sku })
    .update({ on_hand: balanceAfter, last_seq: movement.seq, updated_at: movement.createdAt })
  return { status: 201, body: movement }
}

app.post<{ Body: MovementBody }>(
  '/movements',
  { schema: { body: movementBody } },
  async (request, reply) => {
    const key = request.headers['idempotency-key'] as string | undefined
    const fingerprint = createHash('sha256').update(JSON.stringify(request.body)).digest('hex')
    const outcome = await knex.transaction(async (trx): Promise<Outcome> => {
      if (key) {
        const earlier = await trx('idempotency_keys').where({ key }).first()
        if (earlier && earlier.fingerprint !== fingerprint) {
          return { status: 422, body: { status: 422, error: 'Idempotency-Key reused' } }
        }
        if (earlier) return JSON.parse(earlier.result)
      }
      const result = await record(trx, request.body)
      if (key) {
        await trx('idempotency_keys').insert({
          key,
          op: 'movements.record',
          fingerprint,
          ok: result.status < 300,
          result: JSON.stringify(result),
          created_at: new Date().toISOString(),
        })
      }
      return result
    })
    return reply.code(outcome.status).send(outcome.body)
  }
)

const address = await app.listen({ port: args.port, host: args.host })
announce('monolith', args.host, Number(new URL(address).port))
process.on('SIGTERM', () => void app.close().then(() => knex.destroy()))
