import t from 'tap'
import type { Knex } from 'knex'
import { pino } from 'pino'
import { runBatch } from '../../../db/batch.ts'
import {
  PROTOCOL_VERSION,
  type FeedPosition,
  type OpName,
  type Payload,
  type Result,
} from '../../../db/contract/index.ts'
import { EMPTY_LEDGER } from '../../../db/ledger/hash.ts'
import { ensureIdentity } from '../../../db/operations/node.ts'
import { testDb } from '../../fixtures/test-db.ts'

const log = pino({ level: 'silent' })
let counter = 0
const START: FeedPosition = { events: 0, ledger: EMPTY_LEDGER }

function envelope<O extends OpName>(op: O, payload: Payload<O>, key?: string) {
  const id = `c-${++counter}`
  return { v: PROTOCOL_VERSION, id, op, payload, key, deadline: Date.now() + 60_000 }
}

async function call<O extends OpName>(knex: Knex, op: O, payload: Payload<O>, key?: string) {
  const [reply] = await runBatch(knex, [envelope(op, payload, key)], { log })
  return reply
}

async function ok<O extends OpName>(knex: Knex, op: O, payload: Payload<O>, key?: string) {
  const reply = await call(knex, op, payload, key)
  if (!reply.ok) throw new Error(`${op}: ${reply.error.code} ${reply.error.message}`)
  return reply.data as Result<O>
}

/** A node named `name` with `items`, and the replica of a peer (Norte, id norte) applied. */
async function nodes(t: Parameters<typeof testDb>[0]) {
  const norte = await testDb(t)
  await ensureIdentity(norte, 'Norte')
  await ok(norte, 'items.create', { sku: 'BOLT', name: 'Bolt M8', unit: 'ea', reorderPoint: 5 })
  await ok(norte, 'items.create', { sku: 'ROPE', name: 'Rope', unit: 'm' })
  await ok(norte, 'items.update', { sku: 'ROPE', patch: { description: '10 mm nylon' } })
  await ok(norte, 'items.create', { sku: 'GLUE', name: 'Glue', unit: 'kg' })
  const sur = await testDb(t)
  await ensureIdentity(sur, 'Sur')
  await ok(sur, 'items.create', { sku: 'GLUE', name: 'Glue', unit: 'l' })
  await ok(sur, 'items.create', { sku: 'TAPE', name: 'Tape', unit: 'ea' })
  const page = await ok(norte, 'events.feed', { after: START, limit: 100, maxBytes: 1_000_000 })
  await ok(sur, 'replicas.apply', {
    nodeId: 'norte',
    name: 'Norte',
    after: START,
    events: page.events,
    head: page.head,
    upToDate: page.upToDate,
  })
  return { norte, sur }
}

t.test('the network catalogue lists every SKU known here with its origins', async (t) => {
  const { sur } = await nodes(t)
  const { items, nextCursor } = await ok(sur, 'items.network', { limit: 10 })
  t.same(
    items.map((i) => [i.sku, i.units, i.unitsDiffer, i.here]),
    [
      ['BOLT', ['ea'], false, false],
      ['GLUE', ['kg', 'l'], true, true],
      ['ROPE', ['m'], false, false],
      ['TAPE', ['ea'], false, true],
    ]
  )
  t.equal(nextCursor, null)
  const glue = items.find((i) => i.sku === 'GLUE')
  t.match(glue?.origins, [
    { node: { name: 'Sur' }, here: true, item: { unit: 'l' } },
    { node: { id: 'norte', name: 'Norte' }, here: false, item: { unit: 'kg' } },
  ])
  // The item's update travelled with the feed: the replica holds the latest definition.
  const rope = items.find((i) => i.sku === 'ROPE')
  t.match(rope?.origins, [{ item: { description: '10 mm nylon' } }])
})

t.test('the network catalogue pages by SKU, searches, and narrows to unit conflicts', async (t) => {
  const { sur } = await nodes(t)
  const first = await ok(sur, 'items.network', { limit: 2 })
  t.same(
    first.items.map((i) => i.sku),
    ['BOLT', 'GLUE']
  )
  const second = await ok(sur, 'items.network', { limit: 2, cursor: first.nextCursor as string })
  t.same(
    second.items.map((i) => i.sku),
    ['ROPE', 'TAPE']
  )
  const found = await ok(sur, 'items.network', { limit: 10, search: 'nylon' })
  t.same(
    found.items.map((i) => i.sku),
    ['ROPE']
  )
  const differ = await ok(sur, 'items.network', { limit: 10, unitsDiffer: true })
  t.same(
    differ.items.map((i) => i.sku),
    ['GLUE']
  )
})

t.test("adopting copies a peer's definition into the own catalogue, with its event", async (t) => {
  const { sur } = await nodes(t)
  const { item, adopted } = await ok(sur, 'items.adopt', { sku: 'ROPE', from: 'norte' })
  t.equal(adopted, true)
  t.match(item, { sku: 'ROPE', name: 'Rope', unit: 'm', description: '10 mm nylon' })
  t.match(await ok(sur, 'items.get', { sku: 'ROPE' }), { unit: 'm', description: '10 mm nylon' })
  t.match(await ok(sur, 'stock.get', { sku: 'ROPE' }), { onHand: 0 })
  const { events } = await ok(sur, 'events.list', { after: 0, limit: 100, types: ['item.created'] })
  t.ok(
    events.some((e) => e.subject === 'ROPE'),
    'peers hear of it as of any item created'
  )
  const again = await ok(sur, 'items.adopt', { sku: 'ROPE', from: 'norte' })
  t.same(again.adopted, false, 'the same definition again changes nothing')
})

t.test('adopting over another definition is refused and changes nothing', async (t) => {
  const { sur } = await nodes(t)
  const reply = await call(sur, 'items.adopt', { sku: 'GLUE', from: 'norte' })
  t.match(reply, {
    ok: false,
    error: { code: 'CONFLICT', message: /GLUE .*unit: "l" here, "kg" at Norte/ },
  })
  t.match(await ok(sur, 'items.get', { sku: 'GLUE' }), { unit: 'l' })
})

t.test('adopting what the peer does not define is a 404 naming it', async (t) => {
  const { sur } = await nodes(t)
  t.match(await call(sur, 'items.adopt', { sku: 'NOPE', from: 'norte' }), {
    ok: false,
    error: { code: 'NOT_FOUND', message: /no definition of NOPE from node norte/ },
  })
  t.match(await call(sur, 'items.adopt', { sku: 'BOLT', from: 'nobody' }), {
    ok: false,
    error: { code: 'NOT_FOUND' },
  })
})

t.test('an adopt retried with its Idempotency-Key answers as the first time', async (t) => {
  const { sur } = await nodes(t)
  const first = await call(sur, 'items.adopt', { sku: 'BOLT', from: 'norte' }, 'adopt-1')
  const retry = await call(sur, 'items.adopt', { sku: 'BOLT', from: 'norte' }, 'adopt-1')
  t.match(first, { ok: true, data: { adopted: true } })
  t.match(retry, { ok: true, data: { adopted: true } })
  t.match(retry, { replayed: true })
})
