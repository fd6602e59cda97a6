import t from 'tap'
import type { Knex } from 'knex'
import { pino } from 'pino'
import {
  PROTOCOL_VERSION,
  type OpName,
  type Payload,
  type RequestEnvelope,
} from '../../db/contract/index.ts'
import { dispatch, isWrite, type DispatchOptions } from '../../db/dispatch.ts'
import { DomainError } from '../../db/domain-error.ts'
import { operations, type OperationTable } from '../../db/operations/index.ts'
import { ensureIdentity } from '../../db/operations/node.ts'
import { testDb } from '../fixtures/test-db.ts'

const log = pino({ level: 'silent' })
let counter = 0

function envelope<O extends OpName>(
  op: O,
  payload: Payload<O>,
  extra: Partial<Omit<RequestEnvelope, 'op' | 'payload'>> = {}
): RequestEnvelope<O> {
  const id = `req-${++counter}`
  return { v: PROTOCOL_VERSION, id, op, payload, deadline: Date.now() + 60_000, ...extra }
}

/** Dispatches the way the worker does: inside the batch's transaction. */
function send(knex: Knex, env: unknown, options: Partial<DispatchOptions> = {}) {
  return knex.transaction((trx) => dispatch(trx, env, { log, ...options }))
}

async function count(knex: Knex, table: string): Promise<number> {
  return Number((await knex(table).count({ n: '*' }).first())?.n)
}

async function bolts(knex: Knex, onHand: number) {
  await send(knex, envelope('items.create', { sku: 'BOLT-M8', name: 'Bolt M8', unit: 'ea' }))
  if (onHand > 0) {
    await send(
      knex,
      envelope('movements.record', { type: 'receipt', sku: 'BOLT-M8', quantity: onHand })
    )
  }
}

function onHand(knex: Knex): Promise<number> {
  return knex('balances')
    .where({ sku: 'BOLT-M8' })
    .first('onHand')
    .then((row) => row.onHand)
}

/** A table whose operations record that they ran, and can be made to fail. */
function spyTable(behaviour: (trx: Knex) => Promise<unknown>) {
  const calls: string[] = []
  const table = {
    ...operations,
    'items.create': async (trx: Knex, payload: unknown) => {
      calls.push(JSON.stringify(payload))
      return behaviour(trx)
    },
  } as OperationTable
  return { table, calls }
}

t.test('answers a read with its data, under the request id', async (t) => {
  const knex = await testDb(t)
  const env = envelope('node.ping', {})
  t.same(await dispatch(knex, env, { log }), {
    v: PROTOCOL_VERSION,
    id: env.id,
    ok: true,
    data: { pong: true },
  })
})

t.test('answers a write with its data and no replayed flag', async (t) => {
  const knex = await testDb(t)
  const reply = await send(knex, envelope('items.create', { sku: 'A', name: 'A', unit: 'ea' }))
  t.match(reply, { ok: true, data: { sku: 'A', name: 'A' } })
  t.notOk('replayed' in reply)
})

t.test('refuses an envelope with no id, or that is not an object', async (t) => {
  const knex = await testDb(t)
  const noId = { v: PROTOCOL_VERSION, op: 'node.ping', payload: {}, deadline: Date.now() + 1000 }
  for (const raw of [noId, { ...noId, id: 7 }, { ...noId, id: '' }, null, 'node.ping', 42]) {
    t.match(await dispatch(knex, raw, { log }), {
      v: PROTOCOL_VERSION,
      id: '',
      ok: false,
      error: { code: 'BAD_REQUEST', message: 'The envelope has no id' },
    })
  }
})

t.test('refuses an envelope of another protocol version', async (t) => {
  const knex = await testDb(t)
  const env = envelope('node.ping', {}, { v: PROTOCOL_VERSION + 1 })
  t.same(await dispatch(knex, env, { log }), {
    v: PROTOCOL_VERSION,
    id: env.id,
    ok: false,
    error: { code: 'BAD_REQUEST', message: `Protocol version 2 is not ${PROTOCOL_VERSION}` },
  })
})

t.test(
  'an envelope whose fields cannot be made text or numbers is refused alone, never thrown',
  async (t) => {
    const knex = await testDb(t)
    // JSON can carry these: an object whose toString and valueOf are not functions.
    const opaque = JSON.parse('{"toString": 0, "valueOf": 0}')
    const cases: [Record<string, unknown>, string, string][] = [
      [{ v: opaque }, 'BAD_REQUEST', `Protocol version (object) is not ${PROTOCOL_VERSION}`],
      [{ op: opaque }, 'UNKNOWN_OP', 'Unknown operation (object)'],
      [{ deadline: opaque }, 'BAD_REQUEST', 'The deadline is not a number'],
      [{ deadline: 'soon' }, 'BAD_REQUEST', 'The deadline is not a number'],
    ]
    for (const [extra, code, message] of cases) {
      const env = { ...envelope('node.ping', {}), ...extra }
      t.match(await dispatch(knex, env, { log }), {
        id: env.id,
        ok: false,
        error: { code, message },
      })
    }
  }
)

t.test('refuses an unknown operation, including names inherited by every object', async (t) => {
  const knex = await testDb(t)
  for (const op of ['items.destroy', 'toString', '__proto__', 'constructor', 42]) {
    const env = { ...envelope('node.ping', {}), op }
    t.match(await dispatch(knex, env, { log }), {
      id: env.id,
      ok: false,
      error: { code: 'UNKNOWN_OP', message: `Unknown operation ${op}` },
    })
  }
})

t.test('refuses an envelope without a payload, and does not fail its transaction', async (t) => {
  const knex = await testDb(t)
  const env = { ...envelope('items.create', { sku: 'A', name: 'A', unit: 'ea' }), key: 'k-1' }
  for (const payload of [undefined, null, 'A']) {
    t.match(await send(knex, { ...env, payload }), {
      id: env.id,
      ok: false,
      error: { code: 'BAD_REQUEST', message: /payload/ },
    })
  }
  t.equal(await count(knex, 'idempotency_keys'), 0)
  t.match(await send(knex, env), { ok: true }, 'the key is still free')
})

t.test("refuses a payload that breaks its operation's contract, naming the field", async (t) => {
  const knex = await testDb(t)
  await bolts(knex, 5)
  const refusals: [string, unknown, string][] = [
    ['a quantity as text', { type: 'receipt', sku: 'BOLT-M8', quantity: '5' }, 'quantity'],
    ['a fraction', { type: 'issue', sku: 'BOLT-M8', quantity: 1.5 }, 'quantity'],
    [
      'a count and a delta',
      { type: 'adjustment', sku: 'BOLT-M8', countedQuantity: 1, delta: 1 },
      '',
    ],
    ['a kind no one records', { type: 'theft', sku: 'BOLT-M8', quantity: 1 }, 'type'],
  ]
  for (const [what, payload, path] of refusals) {
    const env = { ...envelope('node.ping', {}), op: 'movements.record', payload, key: 'k-1' }
    t.match(
      await send(knex, env),
      {
        id: env.id,
        ok: false,
        error: {
          code: 'BAD_REQUEST',
          message: /^The payload of movements.record breaks its contract \(/,
          details: [{ path: path || /./ }],
        },
      },
      what
    )
  }
  const extra = { sku: 'A', name: 'A', unit: 'ea', price: 3 }
  t.match(await send(knex, { ...envelope('items.create', extra as never), key: 'k-2' }), {
    ok: false,
    error: { code: 'BAD_REQUEST', details: [{ path: '(payload)', message: /price/ }] },
  })
  t.equal(await onHand(knex), 5, 'nothing applied')
  t.equal(await count(knex, 'items'), 1)
  t.equal(await count(knex, 'idempotency_keys'), 0, 'and no key taken')
})

t.test('refuses an idempotency key that is not a string', async (t) => {
  const knex = await testDb(t)
  const env = envelope('items.create', { sku: 'A', name: 'A', unit: 'ea' })
  t.match(await send(knex, { ...env, key: { evil: true } }), {
    ok: false,
    error: { code: 'BAD_REQUEST', message: /key/ },
  })
  t.equal(await count(knex, 'items'), 0)
})

t.test('does not start an operation whose caller has stopped waiting', async (t) => {
  const knex = await testDb(t)
  const { table, calls } = spyTable(async () => ({}))
  const env = envelope('items.create', { sku: 'A', name: 'A', unit: 'ea' }, { deadline: 1_000 })
  t.same(await send(knex, env, { table, now: () => 1_001 }), {
    v: PROTOCOL_VERSION,
    id: env.id,
    ok: false,
    error: { code: 'EXPIRED', message: 'The caller stopped waiting before the operation started' },
  })
  t.same(calls, [], 'the operation did not run')
  t.match(
    await send(knex, env, { table, now: () => 1_000 }),
    { ok: true },
    'at the deadline it runs'
  )
  t.equal(calls.length, 1)
})

t.test('an expired write with a key applies nothing and stores nothing', async (t) => {
  const knex = await testDb(t)
  const env = envelope('items.create', { sku: 'A', name: 'A', unit: 'ea' }, { key: 'late' })
  t.match(await send(knex, { ...env, deadline: Date.now() - 1 }), { error: { code: 'EXPIRED' } })
  t.equal(await count(knex, 'items'), 0)
  t.equal(await count(knex, 'idempotency_keys'), 0)
})

t.test(
  'a refusal by the operation becomes an error reply with its code, message and details',
  async (t) => {
    const knex = await testDb(t)
    const env = envelope('items.get', { sku: 'GHOST' })
    t.same(await dispatch(knex, env, { log }), {
      v: PROTOCOL_VERSION,
      id: env.id,
      ok: false,
      error: {
        code: 'NOT_FOUND',
        message: 'No item with SKU GHOST',
        details: [{ path: 'sku', message: 'no item with SKU GHOST' }],
      },
    })
  }
)

t.test('a refusal without details has no details field', async (t) => {
  const knex = await testDb(t)
  const { table } = spyTable(async () => {
    throw new DomainError('CONFLICT', 'no')
  })
  const reply = await send(knex, envelope('items.create', { sku: 'A', name: 'A', unit: 'ea' }), {
    table,
  })
  t.same(reply.ok === false && reply.error, { code: 'CONFLICT', message: 'no' })
})

t.test('an unexpected failure becomes INTERNAL, logged but never sent', async (t) => {
  const knex = await testDb(t)
  const lines: string[] = []
  const capture = pino({ level: 'error' }, { write: (line: string) => void lines.push(line) })
  const { table } = spyTable((trx) => trx.raw('SELECT secret FROM hidden_table'))
  const env = envelope('items.create', { sku: 'A', name: 'A', unit: 'ea' })
  const reply = await send(knex, env, { table, log: capture })
  t.same(reply, {
    v: PROTOCOL_VERSION,
    id: env.id,
    ok: false,
    error: { code: 'INTERNAL', message: 'The database worker failed to execute the operation' },
  })
  t.notMatch(JSON.stringify(reply), /SELECT|hidden_table|SQLITE|\bat\b/)
  t.equal(lines.length, 1)
  t.match(JSON.parse(lines[0]), {
    op: 'items.create',
    id: env.id,
    err: { message: /hidden_table/ },
  })
})

t.test('a write that fails after writing leaves nothing behind', async (t) => {
  const knex = await testDb(t)
  const { table } = spyTable(async (trx) => {
    await operations['items.create'](trx, { sku: 'ORPHAN', name: 'Orphan', unit: 'ea' })
    throw new Error('disk on fire')
  })
  const reply = await send(knex, envelope('items.create', { sku: 'A', name: 'A', unit: 'ea' }), {
    table,
  })
  t.match(reply, { ok: false, error: { code: 'INTERNAL' } })
  t.equal(await count(knex, 'items'), 0)
  t.equal(await count(knex, 'balances'), 0)
})

t.test('idempotency keys', async (t) => {
  t.test(
    'a retry with the same key and payload replays the stored result once applied',
    async (t) => {
      const knex = await testDb(t)
      await bolts(knex, 0)
      const payload = { type: 'receipt', sku: 'BOLT-M8', quantity: 5 } as const
      const first = await send(knex, envelope('movements.record', payload, { key: 'k-1' }))
      const retry = envelope('movements.record', payload, { key: 'k-1' })
      const second = await send(knex, retry)
      t.match(first, { ok: true, data: { seq: 1, balanceAfter: 5 } })
      t.same(second, { ...first, id: retry.id, replayed: true })
      t.equal(await count(knex, 'movements'), 1, 'applied once')
      t.equal(await onHand(knex), 5)
    }
  )

  t.test('a retry with the payload keys in another order is the same request', async (t) => {
    const knex = await testDb(t)
    await bolts(knex, 0)
    const payload = { type: 'receipt', sku: 'BOLT-M8', quantity: 5 } as const
    const reordered = { quantity: 5, sku: 'BOLT-M8', type: 'receipt' } as const
    await send(knex, envelope('movements.record', payload, { key: 'k-1' }))
    t.match(await send(knex, envelope('movements.record', reordered, { key: 'k-1' })), {
      ok: true,
      replayed: true,
    })
    t.equal(await onHand(knex), 5)
  })

  t.test("another user's key is refused, with none of its answer", async (t) => {
    const knex = await testDb(t)
    await bolts(knex, 0)
    const payload = { type: 'receipt', sku: 'BOLT-M8', quantity: 5 } as const
    const first = await send(
      knex,
      envelope('movements.record', payload, { key: 'k-1', actor: 'ana' })
    )
    t.match(first, { ok: true })
    t.match(await send(knex, envelope('movements.record', payload, { key: 'k-1', actor: 'ana' })), {
      ok: true,
      replayed: true,
    })
    const other = await send(
      knex,
      envelope('movements.record', payload, { key: 'k-1', actor: 'bea' })
    )
    t.match(other, { ok: false, error: { code: 'IDEMPOTENCY_KEY_REUSED' } })
    t.notMatch(
      JSON.stringify(other),
      (first as { data: { id: string } }).data.id,
      'nothing of ana’s'
    )
    t.equal(await onHand(knex), 5, 'applied once, as ana')
  })

  t.test('the same key with a different payload or operation is refused', async (t) => {
    const knex = await testDb(t)
    await bolts(knex, 0)
    await send(
      knex,
      envelope('movements.record', { type: 'receipt', sku: 'BOLT-M8', quantity: 5 }, { key: 'k-1' })
    )
    const other = envelope(
      'movements.record',
      { type: 'receipt', sku: 'BOLT-M8', quantity: 6 },
      { key: 'k-1' }
    )
    t.same(await send(knex, other), {
      v: PROTOCOL_VERSION,
      id: other.id,
      ok: false,
      error: {
        code: 'IDEMPOTENCY_KEY_REUSED',
        message: 'Idempotency-Key k-1 was already used for a different request',
        details: [
          {
            path: 'Idempotency-Key',
            message: 'was used before with another body or route, or by another user',
          },
        ],
      },
    })
    t.match(
      await send(
        knex,
        envelope('items.create', { sku: 'X', name: 'X', unit: 'ea' }, { key: 'k-1' })
      ),
      { ok: false, error: { code: 'IDEMPOTENCY_KEY_REUSED' } }
    )
    t.equal(await onHand(knex), 5)
    t.equal(await count(knex, 'items'), 1)
  })

  t.test('a refusal is stored and replayed, even after the stock arrives', async (t) => {
    const knex = await testDb(t)
    await ensureIdentity(knex, 'Madrid Norte')
    await bolts(knex, 3)
    const issue = { type: 'issue', sku: 'BOLT-M8', quantity: 5 } as const
    const first = await send(knex, envelope('movements.record', issue, { key: 'k-2' }))
    t.match(first, {
      ok: false,
      error: {
        code: 'INSUFFICIENT_STOCK',
        message: /BOLT-M8 in Madrid Norte/,
        details: { shortfall: 2 },
      },
    })
    await send(
      knex,
      envelope('movements.record', { type: 'receipt', sku: 'BOLT-M8', quantity: 10 })
    )
    const retry = envelope('movements.record', issue, { key: 'k-2' })
    t.same(await send(knex, retry), { ...first, id: retry.id, replayed: true })
    t.equal(await onHand(knex), 13, 'the issue was never applied')
  })

  t.test('an INTERNAL outcome is not stored, so a retry runs again', async (t) => {
    const knex = await testDb(t)
    let failing = true
    const { table, calls } = spyTable(async (trx) => {
      if (failing) throw new Error('transient')
      return operations['items.create'](trx, { sku: 'A', name: 'A', unit: 'ea' })
    })
    const env = envelope('items.create', { sku: 'A', name: 'A', unit: 'ea' }, { key: 'k-3' })
    t.match(await send(knex, env, { table }), { ok: false, error: { code: 'INTERNAL' } })
    t.equal(await count(knex, 'idempotency_keys'), 0)
    failing = false
    const retry = await send(knex, env, { table })
    t.match(retry, { ok: true, data: { sku: 'A' } })
    t.notOk('replayed' in retry)
    t.equal(calls.length, 2)
    t.equal(await count(knex, 'idempotency_keys'), 1)
  })

  t.test('a key on a read is ignored', async (t) => {
    const knex = await testDb(t)
    await bolts(knex, 0)
    const reply = await dispatch(knex, envelope('stock.get', { sku: 'BOLT-M8' }, { key: 'k-4' }), {
      log,
    })
    t.match(reply, { ok: true, data: { onHand: 0 } })
    t.equal(await count(knex, 'idempotency_keys'), 0)
  })

  t.test('a write without a key is not remembered', async (t) => {
    const knex = await testDb(t)
    await bolts(knex, 1)
    t.equal(await count(knex, 'idempotency_keys'), 0)
  })
})

t.test('isWrite tells the writes from the reads and the malformed', async (t) => {
  t.equal(isWrite(envelope('movements.record', { type: 'receipt', sku: 'A', quantity: 1 })), true)
  t.equal(isWrite(envelope('ledger.rebuild', {})), true)
  t.equal(isWrite(envelope('ledger.verify', {})), false)
  t.equal(isWrite(null), false)
  t.equal(isWrite('items.create'), false)
})
