import t from 'tap'
import type { Movement } from '../../db/contract/index.ts'
import { movementTable } from '../../client/format.ts'
import { details, table } from '../../client/table.ts'

const rows = [
  { sku: 'BOLT-M8', name: 'Bolt M8 zinc', onHand: 200 },
  { sku: 'NUT', name: 'Nut', onHand: 7 },
]
const columns = [
  { header: 'SKU', value: (r: (typeof rows)[0]) => r.sku },
  { header: 'NAME', value: (r: (typeof rows)[0]) => r.name, shrink: true },
  { header: 'ON HAND', value: (r: (typeof rows)[0]) => r.onHand },
]

t.test('columns line up, numbers to the right, text to the left', async (t) => {
  t.equal(
    table(rows, columns),
    [
      'SKU      NAME          ON HAND',
      'BOLT-M8  Bolt M8 zinc      200',
      'NUT      Nut                 7',
    ].join('\n')
  )
})

t.test(
  'a table wider than the terminal shrinks its shrinkable column, ending it with …',
  async (t) => {
    const out = table(rows, columns, 26)
    t.equal(out.split('\n')[1], 'BOLT-M8  Bolt M8…      200')
    t.ok(out.split('\n').every((line) => line.length <= 26))
  }
)

t.test('every line fits the terminal, however narrow, and shrinking is tried first', async (t) => {
  const movement = {
    seq: 54,
    createdAt: '2026-11-22T10:04:00Z',
    sku: 'PART-250',
    type: 'adjustment' as const,
    countedQuantity: null,
    delta: -2,
    balanceAfter: 295,
    reference: 'COUNT-2026-11-22',
    note: 'first count of the day, aisle 4',
    actor: 'ana',
  } as Movement
  const rows = [movement, { ...movement, seq: 55, note: '' }]
  for (const columns of [120, 80, 72, 60, 40, 12]) {
    const lines = movementTable(rows, columns).split('\n')
    t.ok(
      lines.every((line) => line.length <= columns),
      `${columns} columns:\n${lines.join('\n')}`
    )
  }
  t.match(
    movementTable(rows, 120).split('\n')[0],
    /#\s+WHEN\s+SKU\s+TYPE\s+CHANGE\s+BALANCE\s+BY\s+REFERENCE\s+NOTE$/,
    'nothing left out'
  )
  const [header, row] = movementTable(rows, 80).split('\n')
  t.match(header, /BALANCE  BY   REFERENCE$/, 'the note left out first')
  t.match(row, /-2\s+295  ana  COUNT-20…$/, 'the reference shrinks')
  t.match(movementTable(rows, 60).split('\n')[0], / {2}BALANCE$/, 'then they are left out')
  t.match(movementTable(rows, 40).split('\n')[1], /^54 .{36}…$/, 'the line cut last')
})

t.test('line breaks and missing values never break the layout', async (t) => {
  const out = table(
    [{ a: 'two\nlines', b: null }],
    [
      { header: 'A', value: (r: { a: string }) => r.a },
      { header: 'B', value: () => null },
    ]
  )
  t.equal(out, 'A          B\ntwo lines')
})

t.test('a control character from elsewhere reaches the terminal as a visible mark', async (t) => {
  // A peer's name or a row older than the rules: an ESC would recolour or clear the screen.
  const out = table(
    [{ a: '\u001b[31mEVIL\u202eX\u0007' }],
    [{ header: 'A', value: (r: { a: string }) => r.a }]
  )
  t.equal(out, 'A\n\uFFFD[31mEVIL\uFFFDX\uFFFD')
  t.notMatch(out, /[\u001b\u0007\u202e]/)
})

t.test('details align their labels and leave out empty values', async (t) => {
  t.equal(
    details([
      ['SKU', 'BOLT-M8'],
      ['Description', ''],
      ['On hand', 200],
    ]),
    'SKU:      BOLT-M8\nOn hand:  200'
  )
})
