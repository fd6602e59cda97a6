// The machine's limit for this work: node:http + better-sqlite3 prepared statements in-process.
// Same schema, same SQL and same work per request as the monolith (hash chain, balance and
// idempotency record in one transaction, FULL sync, one commit per request); nothing in between.
import { createHash } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import Database from 'better-sqlite3'
import type { Movement } from '../../db/contract/index.ts'
import { INSERT_MOVEMENT, nextMovement, toMovement, toRow, type MovementRow } from './rows.ts'
import { announce, serverArgs } from './server-args.ts'

const args = serverArgs(process.argv.slice(2))
const db = new Database(args.file)
db.pragma('journal_mode = WAL')
db.pragma('synchronous = FULL')
db.pragma('busy_timeout = 5000')
db.pragma('foreign_keys = ON')

const stockOf = db.prepare(`SELECT i.sku, i.name, i.unit, i.reorder_point, b.on_hand, b.last_seq,
  b.updated_at FROM items i JOIN balances b ON b.sku = i.sku WHERE i.sku = ?`)
const pageOf = db.prepare('SELECT * FROM movements WHERE sku = ? ORDER BY seq DESC LIMIT ?')
const headOf = db.prepare('SELECT seq, hash FROM movements ORDER BY seq DESC LIMIT 1')
const insertMovement = db.prepare(INSERT_MOVEMENT)
const moveBalance = db.prepare(
  'UPDATE balances SET on_hand = ?, last_seq = ?, updated_at = ? WHERE sku = ?'
)
const keyOf = db.prepare('SELECT fingerprint, result FROM idempotency_keys WHERE key = ?')
const rememberKey = db.prepare(`INSERT INTO idempotency_keys (key, op, fingerprint, ok, result,
  created_at) VALUES (?, 'movements.record', ?, ?, ?, ?)`)

type Outcome = { status: number; body: unknown }
type StockRow = { sku: string; name: string; unit: string; reorder_point: number } & {
  on_hand: number
  last_seq: number | null
  updated_at: string
}

function record(input: { type: string; sku: string; quantity: number; reference?: string }) {
  const sku = input.sku.toUpperCase()
  const current = stockOf.get(sku) as StockRow | undefined
  if (!current) return { status: 404, body: { status: 404, error: `No item ${sku}` } }
  const delta = input.type === 'receipt' ? input.quantity : -input.quantity
  const balanceAfter = current.on_hand + delta
  if (balanceAfter < 0) return { status: 409, body: { status: 409, code: 'INSUFFICIENT_STOCK' } }
  const head = headOf.get() as { seq: number; hash: string } | undefined
  const type = input.type as Movement['type']
  const movement = nextMovement(head, { ...input, type, sku, delta, balanceAfter, note: '' })
  insertMovement.run(toRow(movement))
  moveBalance.run(balanceAfter, movement.seq, movement.createdAt, sku)
  return { status: 201, body: movement }
}

const recordOnce = db.transaction((key: string | undefined, text: string): Outcome => {
  const print = createHash('sha256').update(text).digest('hex')
  const earlier = key && (keyOf.get(key) as { fingerprint: string; result: string } | undefined)
  if (earlier) {
    if (earlier.fingerprint !== print) return { status: 422, body: { status: 422 } }
    return JSON.parse(earlier.result)
  }
  const input = JSON.parse(text)
  const valid =
    (input?.type === 'receipt' || input?.type === 'issue') &&
    typeof input.sku === 'string' &&
    Number.isInteger(input.quantity) &&
    input.quantity > 0
  if (!valid) return { status: 400, body: { status: 400, error: 'Invalid movement' } }
  const outcome = record(input)
  if (key) {
    const ok = outcome.status < 300 ? 1 : 0
    rememberKey.run(key, print, ok, JSON.stringify(outcome), new Date().toISOString())
  }
  return outcome
})

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  })
  res.end(text)
}

function handle(req: IncomingMessage, res: ServerResponse, body: string): void {
  const url = new URL(req.url ?? '/', 'http://limit')
  if (req.method === 'GET' && url.pathname.startsWith('/stock/')) {
    const row = stockOf.get(decodeURIComponent(url.pathname.slice(7)).toUpperCase()) as StockRow
    if (!row) return send(res, 404, { status: 404, error: 'No such item' })
    const { on_hand: onHand, reorder_point: reorderPoint } = row
    const { last_seq: lastSeq, updated_at: updatedAt, sku, name, unit } = row
    const low = onHand <= reorderPoint
    return send(res, 200, { sku, name, unit, onHand, reorderPoint, low, lastSeq, updatedAt })
  }
  if (req.method === 'GET' && url.pathname === '/movements') {
    const limit = Math.min(Math.max(Number(url.searchParams.get('limit') ?? 50), 1), 500)
    const sku = (url.searchParams.get('sku') ?? '').toUpperCase()
    const rows = pageOf.all(sku, limit + 1) as MovementRow[]
    const movements = rows.slice(0, limit).map(toMovement)
    const nextCursor = rows.length > limit ? String(movements[limit - 1].seq) : null
    return send(res, 200, { movements, nextCursor })
  }
  if (req.method === 'POST' && url.pathname === '/movements') {
    const key = req.headers['idempotency-key'] as string | undefined
    const outcome = recordOnce(key, body)
    return send(res, outcome.status, outcome.body)
  }
  if (url.pathname === '/health') return send(res, 200, { status: 'ok' })
  send(res, 404, { status: 404, error: 'No route' })
}

const server = createServer((req, res) => {
  let body = ''
  req.setEncoding('utf8')
  req.on('data', (chunk: string) => (body += chunk))
  req.on('end', () => {
    try {
      handle(req, res, body)
    } catch {
      send(res, 400, { status: 400, error: 'Bad request' })
    }
  })
})
server.listen(args.port, args.host, () => {
  announce('limit', args.host, (server.address() as AddressInfo).port)
})
process.on('SIGTERM', () => server.close(() => db.close()))
