import { Cluster } from './cluster.ts'
const n = Number(process.argv[2] ?? 5)
const settle = Number(process.argv[3] ?? 3000)
const c = new Cluster(n, 29700)
const all = Array.from({ length: n }, (_, i) => i)
await c.startAll()
await Promise.all(all.slice(1).map((i) => c.join(i, 0)))
console.log(
  'formed',
  await c.until(all, (v) => Object.values(v).filter((s) => s === 'alive').length === n, 20000)
)
await new Promise((r) => setTimeout(r, settle))
const before = all.map((i) => c.cpuSeconds(i))
await new Promise((r) => setTimeout(r, 20000))
const pct = all.map((i) => ((c.cpuSeconds(i) - before[i]) / 20) * 100)
console.log(
  'idle CPU % per node',
  pct.map((p) => p.toFixed(2)).join(' '),
  'mean',
  (pct.reduce((a, b) => a + b) / n).toFixed(2)
)
await c.stop()
process.exit(0)
