import t from 'tap'
import {
  answerReserveMs,
  composeStock,
  MAX_FIGURES,
  STOCK_EXCHANGE,
  type Gathered,
  type WarehouseOutcome,
} from '../../../network/index.ts'

const HASH = (c: string) => c.repeat(64)
const NOW = Date.parse('2026-12-01T12:00:00.000Z')

/** A SKU's figure: on hand, unit, and what the ledger says was transferred out and in. */
type Row = [sku: string, onHand: number, unit: string, sent?: number, received?: number]

function live(id: string, name: string, figures: Row[]): WarehouseOutcome {
  return {
    member: { id, name },
    answer: {
      node: { id, name },
      at: new Date(NOW - 5).toISOString(),
      ledger: { seq: 10, hash: HASH('a') },
      halted: null,
      figures: figures.map(([sku, onHand, unit, sent = 0, received = 0]) => ({
        sku,
        name: `Item ${sku}`,
        unit,
        onHand,
        reorderPoint: 5,
        inTransit: sent,
        sent,
        received,
      })),
      truncated: false,
    },
  }
}

/** This node's replica of a warehouse, holding one figure of BOLT in ea, caught up `ageMs` ago. */
function replicaOf(
  nodeId: string,
  name: string,
  {
    seq,
    hash,
    ageMs,
    onHand,
    sent,
  }: { seq: number; hash: string; ageMs: number; onHand: number; sent: number }
) {
  return {
    nodeId,
    name,
    ledger: { seq, hash: HASH(hash) },
    asOf: new Date(NOW - ageMs).toISOString(),
    rowsBehind: 0,
    warning: null as string | null,
    figures: [
      {
        sku: 'BOLT',
        name: 'Bolt',
        unit: 'ea',
        onHand,
        reorderPoint: null,
        inTransit: null,
        sent,
        received: 0,
      },
    ],
  }
}

function gathered(over: Partial<Gathered>): Gathered {
  return {
    self: live('n-self', 'Centro', []),
    peers: [],
    replicas: [],
    now: NOW,
    deadlineMs: 2000,
    tookMs: 12,
    ...over,
  }
}

t.test('adds live figures of one unit, and says the answer is complete', async (t) => {
  const { answer, stock } = composeStock(
    gathered({
      self: live('n-self', 'Centro', [['BOLT', 4, 'ea']]),
      peers: [live('n-2', 'Sur', [['BOLT', 10, 'ea']]), live('n-1', 'Norte', [['NUT', 7, 'ea']])],
    })
  )
  t.match(answer, {
    counts: { total: 3, live: 3, replica: 0, missing: 0 },
    complete: true,
    timedOut: false,
  })
  t.same(
    answer.warehouses.map((w) => [w.node.name, w.node.self, w.source]),
    [
      ['Centro', true, 'live'],
      ['Norte', false, 'live'],
      ['Sur', false, 'live'],
    ],
    'this node first, then the others by name'
  )
  t.same(
    stock.map((s) => s.sku),
    ['BOLT', 'NUT']
  )
  t.match(stock[0], {
    total: { onHand: 14, liveOnHand: 14, unit: 'ea' },
    unitsDiffer: false,
    figures: [
      { node: { name: 'Centro' }, source: 'live', onHand: 4, low: true, ageMs: 0 },
      { node: { name: 'Sur' }, source: 'live', onHand: 10, low: false },
    ],
  })
})

t.test('never adds figures in different units: it totals them per unit and says so', async (t) => {
  const { stock } = composeStock(
    gathered({
      self: live('n-self', 'Centro', [['CABLE', 300, 'm']]),
      peers: [
        live('n-2', 'Sur', [['CABLE', 2, 'roll']]),
        live('n-3', 'Este', [['CABLE', 50, 'm']]),
      ],
    })
  )
  t.match(stock[0], {
    unitsDiffer: true,
    total: { onHand: null, liveOnHand: null, unit: null },
    byUnit: [
      { unit: 'm', onHand: 350, liveOnHand: 350, warehouses: 2 },
      { unit: 'roll', onHand: 2, liveOnHand: 2, warehouses: 1 },
    ],
  })
})

t.test(
  'labels a warehouse that did not answer: from its replica with its age and position, or as missing',
  async (t) => {
    const { answer, stock } = composeStock(
      gathered({
        self: live('n-self', 'Centro', [['BOLT', 4, 'ea']]),
        peers: [
          { member: { id: 'n-2', name: 'Sur' }, reason: 'timed_out', detail: 'no answer in time' },
          { member: { id: 'n-3', name: 'Este' }, reason: 'down', detail: 'connection refused' },
          { member: { id: 'n-4', name: 'Oeste' }, reason: 'left', detail: 'left' },
        ],
        replicas: [
          {
            ...replicaOf('n-2', 'Sur', { seq: 40, hash: 'b', ageMs: 90_000, onHand: 6, sent: 0 }),
            rowsBehind: 3,
          },
        ],
      })
    )
    t.match(answer, {
      counts: { total: 4, live: 1, replica: 1, missing: 2 },
      complete: false,
      timedOut: true,
    })
    t.match(answer.warehouses, [
      { node: { name: 'Centro' }, source: 'live', reason: null },
      { node: { name: 'Este' }, source: 'none', reason: 'down', detail: 'connection refused' },
      { node: { name: 'Oeste' }, source: 'none', reason: 'left', ledger: null, asOf: null },
      {
        node: { name: 'Sur' },
        source: 'replica',
        reason: 'timed_out',
        ledger: { seq: 40 },
        ageMs: 90_000,
        rowsBehind: 3,
      },
    ])
    t.match(stock[0], {
      total: { onHand: 10, liveOnHand: 4, unit: 'ea' },
      figures: [
        { node: { name: 'Centro' }, source: 'live', onHand: 4 },
        { node: { name: 'Sur' }, source: 'replica', reason: 'timed_out', ageMs: 90_000, onHand: 6 },
      ],
    })
  }
)

t.test(
  'answers a warehouse that is no longer a member from its replica, and counts it in the totals',
  async (t) => {
    // Oeste left more than 24 h ago and was reaped: nobody asks it, but this node still holds
    // its ledger. Before the reap it was a `left` member, answered the same way.
    const oeste = replicaOf('n-4', 'Oeste', {
      seq: 30,
      hash: 'e',
      ageMs: 25 * 3600_000,
      onHand: 8,
      sent: 0,
    })
    const { answer, stock } = composeStock(
      gathered({
        self: live('n-self', 'Centro', [['BOLT', 4, 'ea']]),
        peers: [live('n-2', 'Sur', [['BOLT', 10, 'ea']])],
        replicas: [oeste],
      })
    )
    t.match(answer, {
      counts: { total: 3, live: 2, replica: 1, missing: 0 },
      // Every member answered: one no longer a member is not one missing, or a warehouse
      // decommissioned would leave every answer incomplete for ever.
      complete: true,
      timedOut: false,
    })
    t.match(answer.warehouses, [
      { node: { name: 'Centro', self: true }, source: 'live' },
      {
        node: { id: 'n-4', name: 'Oeste', self: false },
        source: 'replica',
        reason: 'reaped',
        detail: /no longer a member/,
        ledger: { seq: 30 },
        ageMs: 25 * 3600_000,
      },
      { node: { name: 'Sur' }, source: 'live' },
    ])
    t.match(stock[0], {
      total: { onHand: 22, liveOnHand: 14, unit: 'ea' },
      figures: [
        { node: { name: 'Centro' } },
        { node: { name: 'Oeste' }, source: 'replica', reason: 'reaped', onHand: 8 },
        { node: { name: 'Sur' } },
      ],
    })
    // This node's own ledger is never a warehouse of its own replicas.
    const own = { ...oeste, nodeId: 'n-self', name: 'Centro' }
    t.match(composeStock(gathered({ replicas: [own] })).answer.counts, { total: 1, live: 1 })
    // Its replica broke: its figures, in the totals, are disputed, and the answer incomplete.
    const broken = { ...oeste, warning: 'its chain broke at row 31' }
    const disputed = composeStock(gathered({ replicas: [broken] })).answer
    t.match(disputed.warehouses.at(-1), { reason: 'reaped', disputed: /chain broke/ })
    t.equal(disputed.complete, false)
    // A replica whose owner's name was never learnt is named by its id.
    const unnamed = composeStock(gathered({ replicas: [{ ...oeste, name: '' }] })).answer
    t.match(unnamed.warehouses.at(-1), { node: { id: 'n-4', name: 'n-4' }, reason: 'reaped' })
  }
)

t.test('an answer cut short by its size is not complete', async (t) => {
  const self = live('n-self', 'Centro', [['BOLT', 4, 'ea']])
  if ('answer' in self) self.answer.truncated = true
  const { answer } = composeStock(gathered({ self }))
  t.equal(answer.complete, false)
  t.equal(answer.warehouses[0].truncated, true)
})

t.test(
  'a replica never caught up has no age, and a broken one says where it stopped',
  async (t) => {
    const { answer, stock } = composeStock(
      gathered({
        peers: [
          { member: { id: 'n-2', name: 'Sur' }, reason: 'down', detail: 'connection refused' },
        ],
        replicas: [
          {
            nodeId: 'n-2',
            name: 'Sur',
            ledger: { seq: 12, hash: HASH('d') },
            asOf: null,
            rowsBehind: null,
            warning: "this node's replica of it stopped at row 12 (chain_broken)",
            figures: [
              {
                sku: 'OLD',
                name: null,
                unit: null,
                onHand: 3,
                reorderPoint: null,
                inTransit: null,
                sent: 0,
                received: 0,
              },
            ],
          },
        ],
      })
    )
    t.match(answer.warehouses[1], {
      source: 'replica',
      asOf: null,
      ageMs: null,
      detail: 'connection refused',
      disputed: "this node's replica of it stopped at row 12 (chain_broken)",
    })
    t.match(stock[0], { sku: 'OLD', name: null, total: { onHand: 3, unit: null } })
  }
)

t.test(
  'counts the goods on the road once: in transit is what was sent less what was received',
  async (t) => {
    // Centro sent 10 BOLT to Sur and 4 to Norte; Sur has received 7 of them, Norte all 4.
    const { stock } = composeStock(
      gathered({
        self: live('n-self', 'Centro', [['BOLT', 20, 'ea', 14, 0]]),
        peers: [
          live('n-2', 'Sur', [['BOLT', 7, 'ea', 0, 7]]),
          live('n-1', 'Norte', [['BOLT', 4, 'ea', 0, 4]]),
        ],
      })
    )
    t.match(stock[0], {
      total: { onHand: 31, liveOnHand: 31, inTransit: 3, onHandPlusInTransit: 34, unit: 'ea' },
      byUnit: [{ unit: 'ea', onHand: 31, inTransit: 3, onHandPlusInTransit: 34, warehouses: 3 }],
      figures: [
        { node: { name: 'Centro' }, onHand: 20, inTransit: 14, sent: 14, received: 0 },
        { node: { name: 'Norte' }, onHand: 4, inTransit: 0, sent: 0, received: 4 },
        { node: { name: 'Sur' }, onHand: 7, inTransit: 0, sent: 0, received: 7 },
      ],
    })
  }
)

t.test(
  "a replica's figure adds its ledger's transfers to the totals, and does not know the warehouse's own view",
  async (t) => {
    const { stock } = composeStock(
      gathered({
        self: live('n-self', 'Centro', [['BOLT', 2, 'ea', 0, 3]]),
        peers: [{ member: { id: 'n-2', name: 'Sur' }, reason: 'down', detail: 'refused' }],
        replicas: [replicaOf('n-2', 'Sur', { seq: 9, hash: 'c', ageMs: 1000, onHand: 5, sent: 5 })],
      })
    )
    t.match(stock[0], {
      total: { onHand: 7, inTransit: 2, onHandPlusInTransit: 9 },
      figures: [
        { node: { name: 'Centro' }, source: 'live', inTransit: 0, received: 3 },
        { node: { name: 'Sur' }, source: 'replica', inTransit: null, sent: 5 },
      ],
    })
  }
)

t.test('in transit is never added across units', async (t) => {
  const { stock } = composeStock(
    gathered({
      self: live('n-self', 'Centro', [['CABLE', 300, 'm', 50, 0]]),
      peers: [live('n-2', 'Sur', [['CABLE', 2, 'roll', 0, 1]])],
    })
  )
  t.match(stock[0], {
    total: { onHand: null, inTransit: null, onHandPlusInTransit: null },
    byUnit: [
      { unit: 'm', inTransit: 50, onHandPlusInTransit: 350 },
      { unit: 'roll', inTransit: -1, onHandPlusInTransit: 1 },
    ],
  })
})

t.test('a warehouse from before transfers has nothing on the road', async (t) => {
  const figure = { sku: 'BOLT', name: 'Bolt', unit: 'ea', onHand: 3, reorderPoint: null }
  const answer = STOCK_EXCHANGE.answer.parse({
    node: { id: 'n-2', name: 'Sur' },
    at: new Date(NOW).toISOString(),
    ledger: { seq: 1, hash: HASH('a') },
    figures: [figure],
    truncated: false,
  })
  t.same(answer.figures, [{ ...figure, inTransit: 0, sent: 0, received: 0 }])
  t.equal(answer.halted, null, 'and no word of a halt: none')
})

t.test(
  "an item's name from before the rules on names shows its hidden characters marked, and costs nothing else",
  async (t) => {
    const figure = { sku: 'BOLT', name: 'Bolt\u200b M8\u001b[31m', unit: 'ea', onHand: 3 }
    const answer = STOCK_EXCHANGE.answer.parse({
      node: { id: 'n-2', name: 'Sur' },
      at: new Date(NOW).toISOString(),
      ledger: { seq: 1, hash: HASH('a') },
      figures: [{ ...figure, reorderPoint: null }],
      truncated: false,
      halted: 'row 3\u0007 changed',
    })
    t.match(answer.figures, [{ name: 'Bolt\ufffd M8\ufffd[31m', onHand: 3 }])
    t.equal(answer.halted, 'row 3\ufffd changed')
  }
)

t.test(
  'a live figure is disputed, and the answer incomplete, when its warehouse is halted or a replica here broke on it',
  async (t) => {
    const sur = live('n-2', 'Sur', [['BOLT', 9, 'ea']])
    if ('answer' in sur) sur.answer.halted = "Valencia's copy and this ledger part at row 410"
    const norte = live('n-3', 'Norte', [['BOLT', 4, 'ea']])
    const broken = {
      nodeId: 'n-3',
      name: 'Norte',
      ledger: { seq: 409, hash: HASH('b') },
      asOf: null,
      rowsBehind: null,
      warning: "this node's replica of it stopped at row 409 (forked)",
      forked: true,
      figures: [],
    }
    const { answer, stock } = composeStock(
      gathered({
        self: live('n-self', 'Centro', [['BOLT', 1, 'ea']]),
        peers: [sur, norte],
        replicas: [broken],
      })
    )
    t.match(answer.warehouses, [
      { node: { name: 'Centro' }, source: 'live', disputed: null },
      {
        node: { name: 'Norte' },
        source: 'live',
        disputed: "this node's replica of it stopped at row 409 (forked)",
      },
      {
        node: { name: 'Sur' },
        source: 'live',
        disputed: "its writes are halted: Valencia's copy and this ledger part at row 410",
      },
    ])
    t.equal(answer.complete, false, 'a client cannot miss it')
    t.match(answer.counts, { live: 3, total: 3 })
    t.match(stock[0], { total: { onHand: 14 } }, 'figures still shown, and summed')
    // A replica this node's own disk broke says nothing of the warehouse's live figures; a
    // figure read from a broken replica is the ledger as it was when it stopped.
    const ownDisk = {
      ...broken,
      warning: "this node's replica of it stopped at row 409 (chain_broken)",
      forked: false,
    }
    const norteDown = {
      member: { id: 'n-3', name: 'Norte' },
      reason: 'down' as const,
      detail: 'refused',
    }
    const live3 = composeStock(gathered({ peers: [norte], replicas: [ownDisk] }))
    t.equal(live3.answer.warehouses[1].disputed, null)
    const fromCopy = composeStock(gathered({ peers: [norteDown], replicas: [broken] }))
    t.match(fromCopy.answer.warehouses[1], {
      source: 'replica',
      disputed: "this node's replica of it stopped at row 409 (forked)",
    })
  }
)

t.test(
  'keeps 20 ms of a deadline to answer in, more when timers fire late (at most a tenth) and for a large answer (at most half)',
  async (t) => {
    t.equal(answerReserveMs(1000, 0), 20, 'a quiet machine: 20 ms')
    t.equal(answerReserveMs(2000, 0.4), 21, 'under a millisecond late: rounded up, twice')
    t.equal(answerReserveMs(1000, 30), 80, 'timers 30 ms late: twice that, and the 20')
    t.equal(answerReserveMs(1000, 400), 100, 'however late, a tenth of the deadline at most')
    t.equal(answerReserveMs(10_000, 400), 820, 'a long deadline keeps what it needs')
    t.equal(answerReserveMs(50, 0), 5, 'a short one keeps a tenth')
    t.equal(answerReserveMs(1000, -3), 20, 'a figure below zero counts as on time')
    t.equal(answerReserveMs(2000, 0, 5000), 60, 'one warehouse of 5,000 SKUs: 8 µs a figure more')
    t.equal(answerReserveMs(2000, 0, 100_000), 820, '20 warehouses of 5,000: 800 ms more')
    t.equal(answerReserveMs(2000, 30, 100_000), 880, 'and the lateness as before')
    t.equal(answerReserveMs(1000, 0, 100_000), 500, 'never more than half the deadline')
  }
)

t.test('the largest answer the schema lets a warehouse send is read whole', async (t) => {
  // Each character of the name and unit one that JSON escapes as \uXXXX (6 bytes), and every
  // number at its longest.
  const escaped = (n: number) => '\u0001'.repeat(n)
  const big = -Number.MAX_SAFE_INTEGER
  const answer = {
    node: { id: '00000000-0000-4000-8000-000000000001', name: 'North' },
    at: new Date(NOW).toISOString(),
    ledger: { seq: Number.MAX_SAFE_INTEGER, hash: HASH('a') },
    figures: Array.from({ length: MAX_FIGURES }, (_, i) => ({
      sku: `S${String(i).padStart(63, '0')}`,
      name: escaped(200),
      unit: escaped(20),
      onHand: big,
      reorderPoint: Number.MAX_SAFE_INTEGER,
      inTransit: big,
      sent: Number.MAX_SAFE_INTEGER,
      received: Number.MAX_SAFE_INTEGER,
    })),
    truncated: true,
    halted: escaped(4000),
  }
  t.ok(STOCK_EXCHANGE.answer.safeParse(answer).success, 'an answer the schema takes')
  const bytes = Buffer.byteLength(JSON.stringify(answer))
  t.ok(
    bytes <= STOCK_EXCHANGE.maxAnswerBytes,
    `${bytes} bytes within the ${STOCK_EXCHANGE.maxAnswerBytes} read`
  )
})
