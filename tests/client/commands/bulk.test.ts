import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import t from 'tap'
import { almacen, seed } from '../../fixtures/client-kit.ts'
import { tempDir } from '../../fixtures/temp-dir.ts'
import { api, startTestNode } from '../../fixtures/test-node.ts'

const HEADER = 'sku,name,unit,description,reorderPoint'

t.test('almacen import items FILE.csv imports the file and says what it did', async (t) => {
  const node = await startTestNode(t)
  const file = path.join(tempDir(t), 'items.csv')
  await writeFile(file, `${HEADER}\r\nBOLT-M8,"Bolt, M8",ea,,50\r\nNUT-M8,Nut M8,ea,,\r\n`)
  const run = await almacen(['import', 'items', file, '--url', node.url])
  t.equal(run.code, 0, run.stderr)
  t.equal(run.stdout, 'Imported 2 lines: 2 created.\n')
  t.equal((await api(node, 'GET', '/items/BOLT-M8')).body.name, 'Bolt, M8')
})

t.test(
  'a bad line: nothing imported, the line named, exit 1; --mode lines keeps the good',
  async (t) => {
    const node = await startTestNode(t)
    const file = path.join(tempDir(t), 'items.csv')
    await writeFile(file, `${HEADER}\nA-1,One,ea,,\nA-2,,ea,,\nA-3,Three,ea,,x\n`)
    const all = await almacen(['import', 'items', file, '--url', node.url])
    t.equal(all.code, 1)
    t.match(all.stderr, 'Nothing was imported. The lines refused:')
    t.match(all.stderr, '  line 3: name: must not be empty')
    t.match(all.stderr, '  line 4: reorderPoint: must be a number, or null for none')
    t.equal((await api(node, 'GET', '/items/A-1')).status, 404)

    const lines = await almacen(['import', 'items', file, '--mode', 'lines', '--url', node.url])
    t.equal(lines.code, 1)
    t.equal(lines.stdout, 'Imported 3 lines: 1 created, 2 refused.\n')
    t.match(lines.stderr, '  line 3 (A-2): name: must not be empty\n')
    t.equal((await api(node, 'GET', '/items/A-1')).status, 200)

    const bad = await almacen(['import', 'items', file, '--mode', 'some', '--url', node.url])
    t.equal(bad.code, 2)
    t.match(bad.stderr, '--mode must be all or lines, not "some"')
  }
)

t.test('almacen export writes the stock and the items, to a file or stdout', async (t) => {
  const node = await startTestNode(t)
  await seed(node, [{ sku: 'BOLT-M8', name: 'Bolt M8 zinc', reorderPoint: 50, onHand: 1200 }])
  const stock = await almacen(['export', 'stock', '--url', node.url])
  t.equal(stock.code, 0, stock.stderr)
  t.equal(
    stock.stdout,
    'sku,name,unit,onHand,inTransit,reorderPoint,low\r\nBOLT-M8,Bolt M8 zinc,ea,1200,0,50,false\n'
  )
  const file = path.join(tempDir(t), 'items.json')
  const items = await almacen(['export', 'items', file, '--format', 'json', '--url', node.url])
  t.equal(items.code, 0, items.stderr)
  t.match(items.stderr, `Wrote the catalogue to ${file}.`)
  t.match(JSON.parse(await readFile(file, 'utf8')), {
    items: [{ sku: 'BOLT-M8', reorderPoint: 50 }],
  })

  // What export items writes, import items takes back.
  const csv = path.join(tempDir(t), 'items.csv')
  t.equal((await almacen(['export', 'items', csv, '--url', node.url])).code, 0)
  const other = await startTestNode(t)
  t.equal((await almacen(['import', 'items', csv, '--url', other.url])).code, 0)
  t.match((await api(other, 'GET', '/items/BOLT-M8')).body, {
    name: 'Bolt M8 zinc',
    reorderPoint: 50,
  })
})

t.test('a .json file that is not JSON is a usage error, and nothing is sent', async (t) => {
  const node = await startTestNode(t)
  const file = path.join(tempDir(t), 'items.json')
  await writeFile(file, '{"items": [{"sku": "BOLT-M8",')
  const run = await almacen(['import', 'items', file, '--url', node.url])
  t.equal(run.code, 2, run.stderr)
  t.match(run.stderr, `almacen import: ${file} is not JSON: `)
  t.match(run.stderr, 'usage: almacen import')
  const { body } = await api(node, 'GET', '/items')
  t.same(body.items, [], 'nothing imported')
})

t.test('an export whose file cannot be written says so about this machine', async (t) => {
  const node = await startTestNode(t)
  const file = path.join(tempDir(t), 'no-such-folder', 'stock.csv')
  const run = await almacen(['export', 'stock', file, '--url', node.url])
  t.same(run, {
    code: 1,
    stdout: '',
    stderr: `almacen: Cannot write ${file} on this machine: ENOENT: no such file or directory, open '${file}'\n`,
  })
  const json = await almacen(['export', 'stock', file, '--json', '--url', node.url])
  t.match(JSON.parse(json.stderr), { code: 'LOCAL_FILE', error: /^Cannot write / })
  // A full disk: the file opens, and the write fails with a code alone, no path.
  const full = await almacen(['export', 'stock', '/dev/full', '--url', node.url])
  t.same(full, {
    code: 1,
    stdout: '',
    stderr:
      'almacen: Cannot write /dev/full on this machine: ENOSPC: no space left on device, write\n',
  })
})
