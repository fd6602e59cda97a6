// The posting rule and the table of kinds, as pure functions: no database.
import t from 'tap'
import type { Movement, MovementInput } from '../../../db/contract/index.ts'
import { EMPTY_LEDGER, GENESIS_HASH, hashMovement } from '../../../db/ledger/hash.ts'
import { advance, MAX_ON_HAND, post, type PostingState } from '../../../db/ledger/post.ts'
import { MOVEMENT_ROW } from '../../../db/ledger/row.ts'
import { random, randomInput } from '../random-movements.ts'

const AT = '2026-12-15T10:00:00.000Z'

function state(onHand: Record<string, number>): PostingState {
  const stock = new Map(Object.entries(onHand).map(([sku, n]) => [sku, { onHand: n, unit: 'ea' }]))
  return { head: EMPTY_LEDGER, stock, warehouse: 'Madrid Norte' }
}

function posted(s: PostingState, input: MovementInput): Movement {
  const posting = post(s, input, AT)
  if (!posting.ok) throw posting.refusal
  return posting.movement
}

t.test('each kind turns its input and the stock on hand into a signed delta', async (t) => {
  const s = state({ BOLT: 40 })
  const sku = 'BOLT'
  const cases: [MovementInput, number, number | null][] = [
    [{ type: 'receipt', sku, quantity: 5 }, 5, null],
    [{ type: 'issue', sku, quantity: 15 }, -15, null],
    [{ type: 'adjustment', sku, countedQuantity: 37 }, -3, 37],
    [{ type: 'adjustment', sku, countedQuantity: 40 }, 0, 40],
    [{ type: 'adjustment', sku, delta: 10 }, 10, null],
    [{ type: 'adjustment', sku, delta: -40 }, -40, null],
  ]
  for (const [input, delta, countedQuantity] of cases) {
    t.match(
      posted(s, input),
      { delta, quantity: Math.abs(delta), countedQuantity, balanceAfter: 40 + delta },
      JSON.stringify(input)
    )
  }
})

t.test('a posting chains to the head, is hashed, and leaves the state as it was', async (t) => {
  const s = state({ BOLT: 0 })
  const input = { type: 'receipt', sku: 'BOLT', quantity: 40, reference: 'PO-1', note: 'Acme' }
  const posting = post(s, input as MovementInput, AT)
  t.same(posting, {
    ok: true,
    movement: {
      seq: 1,
      type: 'receipt',
      sku: 'BOLT',
      quantity: 40,
      delta: 40,
      countedQuantity: null,
      balanceAfter: 40,
      reference: 'PO-1',
      note: 'Acme',
      createdAt: AT,
      prevHash: GENESIS_HASH,
      hash: posting.ok ? hashMovement(posting.movement) : '',
      transferId: null,
      counterparty: null,
      actor: 'system',
    },
    balance: { sku: 'BOLT', onHand: 40, sent: 0, received: 0, lastSeq: 1, updatedAt: AT },
  })
  t.same(s, state({ BOLT: 0 }), 'post is pure')
  t.same(
    Object.keys(posting.ok ? posting.movement : {}),
    MOVEMENT_ROW.columns.map(([field]) => field),
    "the fields in the ledger table's order, as the API has always given them"
  )
})

t.test('advance moves the head and the stock: the next posting builds on it', async (t) => {
  const s = state({ BOLT: 0, NUT: 9 })
  const first = posted(s, { type: 'receipt', sku: 'BOLT', quantity: 5 })
  advance(s, { movement: first })
  const second = posted(s, { type: 'issue', sku: 'BOLT', quantity: 2 })
  t.match(second, { seq: 2, prevHash: first.hash, balanceAfter: 3 })
  advance(s, { movement: second })
  t.match(posted(s, { type: 'issue', sku: 'NUT', quantity: 9 }), { seq: 3, balanceAfter: 0 })
})

t.test('stock that would go below zero is refused with the sentence people act on', async (t) => {
  const s = state({ BOLT: 10 })
  t.match(post(s, { type: 'issue', sku: 'BOLT', quantity: 15 }, AT), {
    ok: false,
    refusal: {
      code: 'INSUFFICIENT_STOCK',
      message: 'Cannot issue 15 ea of BOLT in Madrid Norte: only 10 ea on hand, short by 5',
      details: { sku: 'BOLT', warehouse: 'Madrid Norte', onHand: 10, requested: 15, shortfall: 5 },
    },
  })
  t.match(post(s, { type: 'adjustment', sku: 'BOLT', delta: -12 }, AT), {
    ok: false,
    refusal: {
      message: 'Cannot adjust BOLT by -12 ea in Madrid Norte: only 10 ea on hand, short by 2',
    },
  })
  t.match(post(s, { type: 'issue', sku: 'BOLT', quantity: 10 }, AT), { ok: true })
})

t.test(
  'stock that would go beyond what one item may hold is refused, before numbers lose their precision',
  async (t) => {
    const s = state({ BOLT: MAX_ON_HAND - 5 })
    t.match(post(s, { type: 'receipt', sku: 'BOLT', quantity: 6 }, AT), {
      ok: false,
      refusal: {
        code: 'VALIDATION_FAILED',
        message: `Cannot receive 6 ea of BOLT in Madrid Norte: on hand would be ${MAX_ON_HAND + 1} ea, more than the 1,000,000,000,000 one item may hold; check the quantity`,
        details: [{ path: 'quantity' }],
      },
    })
    t.match(post(s, { type: 'receipt', sku: 'BOLT', quantity: 5 }, AT), {
      ok: true,
      movement: { balanceAfter: MAX_ON_HAND },
    })
    t.ok(Number.isSafeInteger(MAX_ON_HAND * 1000), 'summed over a thousand warehouses, still exact')
    // An item held beyond the bound from before it: issued and counted down, never up again.
    const over = state({ BOLT: 20 * MAX_ON_HAND })
    t.match(post(over, { type: 'issue', sku: 'BOLT', quantity: 1 }, AT), {
      ok: true,
      movement: { balanceAfter: 20 * MAX_ON_HAND - 1 },
    })
    t.match(post(over, { type: 'adjustment', sku: 'BOLT', countedQuantity: 7 }, AT), { ok: true })
    t.match(post(over, { type: 'receipt', sku: 'BOLT', quantity: 1 }, AT), {
      ok: false,
      refusal: { code: 'VALIDATION_FAILED' },
    })
  }
)

t.test('an item outside the state is refused as not found', async (t) => {
  t.match(post(state({}), { type: 'receipt', sku: 'GHOST', quantity: 1 }, AT), {
    ok: false,
    refusal: { code: 'NOT_FOUND', message: 'No item with SKU GHOST', details: [{ path: 'sku' }] },
  })
})

t.test(
  'over any sequence of movements, stock never goes below zero and the rows account for it',
  async (t) => {
    for (let seed = 1; seed <= 50; seed++) {
      const next = random(seed)
      const s = state({ A: 0, B: 0 })
      const rows: Movement[] = []
      const onHand = { A: 0, B: 0 } as Record<string, number>
      for (let i = 0; i < 200; i++) {
        const input = randomInput(next)
        const posting = post(s, input, AT)
        const known = input.sku in onHand
        const before = onHand[input.sku] ?? 0
        const delta =
          input.type !== 'adjustment'
            ? (input.type === 'receipt' ? 1 : -1) * input.quantity
            : 'delta' in input
              ? input.delta
              : input.countedQuantity - before
        const refused = !known || before + delta < 0
        if (posting.ok === refused) t.fail(`seed ${seed}, step ${i}: ${JSON.stringify(input)}`)
        if (!posting.ok) continue
        advance(s, posting)
        rows.push(posting.movement)
        onHand[input.sku] = before + delta
      }
      const sums = { A: 0, B: 0 } as Record<string, number>
      rows.forEach((row, i) => {
        sums[row.sku] += row.delta
        const ok =
          row.seq === i + 1 &&
          row.prevHash === (i === 0 ? GENESIS_HASH : rows[i - 1].hash) &&
          row.hash === hashMovement(row) &&
          row.balanceAfter === sums[row.sku] &&
          row.balanceAfter >= 0
        if (!ok) t.fail(`seed ${seed}: row ${row.seq} does not account for the ones before`)
      })
      t.same(
        [s.stock.get('A')?.onHand, s.stock.get('B')?.onHand],
        [sums.A, sums.B],
        `seed ${seed}: ${rows.length} rows`
      )
    }
  }
)
