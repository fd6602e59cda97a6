import t from 'tap'
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
