// The bulk part of `npm run bench`: one real node (the built node, as `npm start` runs it) on
// loopback. Measured, with the target of issue 13 (10,000 items import in 5 s at most):
// - POST /items/import of a 10,000-item CSV (~600 KB), all or nothing, on an empty catalogue,
//   timed from the request to the answer (every item then committed), over several runs;
// - the same file again with existing=update (every line an update);
// - GET /items/export and GET /stock/export of the 10,000 items as CSV;
// - POST /movements/batch of 1,000 receipts, and the same batch again (every line a replay).
// Writes bench/results/bulk-<date>.json and .md.
import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { nodeFetch } from '../../tests/fixtures/tokens.ts'
import type { BenchOptions } from '../options.ts'
import { machine } from '../report.ts'
import { Nodes, type BenchNode } from '../replication/nodes.ts'
import { ROOT } from '../server-process.ts'
import { median } from '../summary.ts'

type Say = (line: string) => void

const TARGET_MS = 5000

/** A catalogue file of `count` items whose SKUs start with `prefix`, quoting where CSV needs it. */
export function itemsCsv(count: number, prefix: string): string {
  const lines = ['sku,name,unit,description,reorderPoint']
  for (let i = 0; i < count; i++) {
    const n = String(i).padStart(6, '0')
    lines.push(
      `${prefix}-${n},"Hex bolt M${i % 30}, zinc",ea,"Bin ${i % 400}, shelf ""${i % 7}""",${i % 100}`
    )
  }
  return `${lines.join('\r\n')}\r\n`
}

/** One timed request: its status, its answer's text and how long it took, in ms. */
async function timed(url: string, init?: RequestInit) {
  const started = performance.now()
  const response = await nodeFetch(url, init)
  const text = await response.text()
  const ms = Math.round(performance.now() - started)
  if (!response.ok)
    throw new Error(`${init?.method ?? 'GET'} ${url}: ${response.status} ${text.slice(0, 300)}`)
  return { ms, text }
}

const post = (body: string, type: string): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': type },
  body,
})

async function imports(node: BenchNode, items: number, runs: number, say: Say) {
  const created: number[] = []
  for (let run = 0; run < runs; run++) {
    const file = itemsCsv(items, `R${run}`)
    const { ms, text } = await timed(`${node.url}/items/import`, post(file, 'text/csv'))
    const report = JSON.parse(text) as { created: number }
    if (report.created !== items) throw new Error(`run ${run}: ${report.created} created`)
    created.push(ms)
    say(
      `  run ${run + 1}: ${items} items (${Math.round(file.length / 1024)} KB) created in ${ms} ms`
    )
  }
  const again = itemsCsv(items, 'R0').replaceAll('zinc', 'steel')
  const update = await timed(`${node.url}/items/import?existing=update`, post(again, 'text/csv'))
  say(`  the first file again, every line changed (existing=update): ${update.ms} ms`)
  return {
    created,
    medianMs: median(created),
    updateMs: update.ms,
    bytes: itemsCsv(items, 'R0').length,
  }
}

async function exports(node: BenchNode, say: Say) {
  const items = await timed(`${node.url}/items/export`)
  const stock = await timed(`${node.url}/stock/export`)
  const rows = items.text.split('\r\n').length - 2
  say(
    `  GET /items/export: ${rows} items as CSV in ${items.ms} ms; GET /stock/export: ${stock.ms} ms`
  )
  return { rows, itemsMs: items.ms, stockMs: stock.ms }
}

async function batch(node: BenchNode, say: Say) {
  const lines = Array.from({ length: 1000 }, (_, i) => ({
    key: `bench-${i}`,
    type: 'receipt',
    sku: `R0-${String(i).padStart(6, '0')}`,
    quantity: 5,
  }))
  const body = JSON.stringify({ lines })
  const first = await timed(`${node.url}/movements/batch`, post(body, 'application/json'))
  const applied = (JSON.parse(first.text) as { applied: number }).applied
  const replay = await timed(`${node.url}/movements/batch`, post(body, 'application/json'))
  say(
    `  POST /movements/batch of 1,000 receipts: ${applied} applied in ${first.ms} ms; replayed in ${replay.ms} ms`
  )
  return { lines: lines.length, applied, ms: first.ms, replayMs: replay.ms }
}

export async function runBulk(options: BenchOptions, command: string, say: Say): Promise<boolean> {
  const started = new Date()
  const items = options.quick ? 2000 : 10_000
  const runs = options.quick ? 1 : 3
  const nodes = new Nodes()
  try {
    const node = await nodes.start('Bulk')
    say(`POST /items/import of ${items} items as CSV, all or nothing, on one node:`)
    const imported = await imports(node, items, runs, say)
    const exported = await exports(node, say)
    const batched = await batch(node, say)
    // The target is for 10,000 items: a smoke run's smaller file is not judged against it.
    const met = options.quick || imported.medianMs <= TARGET_MS
    const verdict = options.quick ? 'not judged: a smoke run' : met ? 'met' : 'NOT met'
    say(
      `  import of ${items} items: median ${imported.medianMs} ms (target for 10,000 ≤ ${TARGET_MS} ms: ${verdict})`
    )
    const result = {
      date: started.toISOString(),
      command,
      machine: machine(),
      items,
      imported,
      exported,
      batched,
      targetMs: TARGET_MS,
      met,
    }
    const dir = path.join(ROOT, 'bench', 'results')
    await mkdir(dir, { recursive: true })
    const name = `bulk-${started.toISOString().replace(/[:.]/g, '-')}${options.quick ? '-quick' : ''}`
    await writeFile(path.join(dir, `${name}.json`), `${JSON.stringify(result, null, 2)}\n`)
    const md = [
      `| bulk (${command}) | figure |`,
      '| --- | --- |',
      `| import ${items} items (CSV, ${Math.round(imported.bytes / 1024)} KB), median of ${runs} | ${imported.medianMs} ms (target ≤ ${TARGET_MS} ms) |`,
      `| the same file again, existing=update | ${imported.updateMs} ms |`,
      `| export ${exported.rows} items / stock as CSV | ${exported.itemsMs} ms / ${exported.stockMs} ms |`,
      `| batch of ${batched.lines} receipts / replayed | ${batched.ms} ms / ${batched.replayMs} ms |`,
    ].join('\n')
    await writeFile(path.join(dir, `${name}.md`), `${md}\n`)
    say(`\nresults: bench/results/${name}.json (and .md)`)
    return met
  } finally {
    await nodes.stop()
  }
}
