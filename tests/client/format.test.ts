import t from 'tap'
import type { Movement } from '../../db/contract/index.ts'
import { ago, describeMovement, fit, kind, stockTable, when } from '../../client/format.ts'

const base: Movement = {
  seq: 7,
  type: 'receipt',
  sku: 'BOLT-M8',
  quantity: 200,
  delta: 200,
  countedQuantity: null,
  balanceAfter: 350,
  reference: 'PO-17',
  note: '',
  createdAt: '2026-11-22T10:04:00.000Z',
  prevHash: '',
  hash: '',
}

t.test(
  'each movement reads as a sentence with its unit, the new balance and its ledger entry',
  async (t) => {
    t.equal(
      describeMovement(base, 'ea'),
      'Received 200 ea of BOLT-M8 (PO-17). On hand now: 350 ea. Ledger entry #7.'
    )
    t.equal(
      describeMovement({ ...base, type: 'issue', delta: -40, quantity: 40, reference: '' }, 'box'),
      'Issued 40 box of BOLT-M8. On hand now: 350 box. Ledger entry #7.'
    )
    t.equal(
      describeMovement(
        { ...base, type: 'adjustment', delta: -2, quantity: 2, reference: '' },
        'ea'
      ),
      'Adjusted BOLT-M8 by -2 ea. On hand now: 350 ea. Ledger entry #7.'
    )
  }
)

t.test(
  'a count says what the records said and how much it changed, or that it matched',
  async (t) => {
    const counted = { ...base, type: 'adjustment' as const, reference: '', countedQuantity: 158 }
    t.equal(
      describeMovement({ ...counted, delta: -2, balanceAfter: 158 }, 'ea'),
      'Counted 158 ea of BOLT-M8: the records said 160 ea, adjusted by -2 ea. Ledger entry #7.'
    )
    t.equal(
      describeMovement({ ...counted, delta: 0, balanceAfter: 158 }, 'ea'),
      'Counted 158 ea of BOLT-M8: it matches the records, nothing to adjust. Ledger entry #7.'
    )
    t.equal(kind({ ...counted, delta: 0 }), 'count')
    t.equal(kind({ ...base, type: 'adjustment' }), 'adjustment')
  }
)

t.test('times are shown in local time, to the minute', async (t) => {
  const d = new Date(base.createdAt)
  const expected = `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')} ${String(d.getHours()).padStart(2, '0')}:04`
  t.equal(when(base.createdAt), expected)
})

t.test(
  'an age reads in the unit a person takes in at a glance, tenths only under 10 s',
  async (t) => {
    const now = Date.parse('2026-11-22T10:00:00.000Z')
    const before = (ms: number) => new Date(now - ms).toISOString()
    t.equal(ago(null, now), 'never')
    t.equal(ago(before(400), now), '0.4 s ago')
    t.equal(ago(before(9_940), now), '9.9 s ago')
    t.equal(ago(before(12_700), now), '12 s ago')
    t.equal(ago(before(3 * 60_000 + 59_000), now), '3 min ago')
    t.equal(ago(before(5 * 3_600_000), now), '5 h ago')
    t.equal(ago(before(3 * 86_400_000), now), '3 d ago')
    t.equal(ago(before(-250), now), '0.0 s ago', 'a clock a hair ahead is not a negative age')
  }
)

t.test(
  'a long message is broken between words to fit the terminal; a table is left alone',
  async (t) => {
    t.equal(
      fit('✔ Received 200 ea of BOLT-M8 (PO-17). On hand now: 200 ea. Ledger entry #1.', 40),
      '✔ Received 200 ea of BOLT-M8 (PO-17). On\n  hand now: 200 ea. Ledger entry #1.'
    )
    t.equal(fit('short', 40), 'short')
    const table = 'SKU  NAME\nBOLT-M8  a name far longer than the width of forty columns'
    t.equal(fit(table, 40), table)
  }
)

t.test('an item without a reorder point shows — in tables, and is never marked low', async (t) => {
  const stock = [
    { sku: 'A', name: 'a', onHand: 0, unit: 'ea', reorderPoint: null, low: false },
    { sku: 'B', name: 'b', onHand: 0, unit: 'ea', reorderPoint: 5, low: true },
  ] as Parameters<typeof stockTable>[0]
  t.equal(
    stockTable(stock),
    [
      'SKU  NAME  ON HAND  UNIT  REORDER AT  LOW',
      'A    a           0  ea             —',
      'B    b           0  ea             5  low',
    ].join('\n')
  )
})
