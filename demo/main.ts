// `npm run demo`: three warehouses on this machine, joined in one peer network with one generated
// cluster key, seeded through the REST API with a catalogue and movements; prints the URLs and
// commands to try, and Ctrl-C stops all three (each leaves the network, its worker exits).
//
// It lives in demo/, not ops/: ops/ holds what runs a real warehouse (the service unit, its
// environment); this is a sandbox for trying almacen out, and nothing in ops/ should depend on it.
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { nodeArgs } from '../lib/build.ts'
import { plan, WAREHOUSES, type DemoWarehouse } from './catalogue.ts'

/** A data directory with this file is the demo's own: it is wiped at the next run. */
const MARKER = '.almacen-demo'
const STOP_GRACE_MS = 15_000

/** Every node process started, from its spawn on: what a stop must end, started or not. */
const spawned: { child: ChildProcess; exited: Promise<unknown> }[] = []

interface Running {
  name: string
  child: ChildProcess
  url: string
  dataDir: string
  log: string
  exited: Promise<unknown>
}

function fail(message: string): never {
  console.error(`npm run demo: ${message}`)
  process.exit(2)
}

function options() {
  const { values } = parseArgs({
    options: {
      'data-dir': { type: 'string', default: './demo-data' },
      'port-base': { type: 'string', default: '8081' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help) {
    console.log(`Usage: npm run demo [-- --data-dir DIR] [--port-base N]

Starts three almacen warehouses on this machine (Madrid, Sevilla, Bilbao) on ports N, N+1, N+2
(default 8081; 0 takes any free ports), with data directories under DIR (default ./demo-data,
wiped at every run), joined in one network, seeded with a catalogue and movements.
Ctrl-C stops all three.`)
    process.exit(0)
  }
  const base = Number(values['port-base'])
  if (!Number.isInteger(base) || base < 0 || base > 65533) fail('--port-base must be a port number')
  return { root: path.resolve(values['data-dir'] as string), base }
}

/** A fresh demo directory: the last run's removed, anything else refused rather than touched. */
function freshRoot(root: string): void {
  if (existsSync(root) && readdirSync(root).length > 0) {
    if (!existsSync(path.join(root, MARKER))) {
      fail(`${root} is not empty and is not a demo directory: choose another with --data-dir`)
    }
    rmSync(root, { recursive: true, force: true })
  }
  mkdirSync(root, { recursive: true, mode: 0o700 })
  writeFileSync(path.join(root, MARKER), 'made by npm run demo; wiped at its next run\n')
}

/** Starts one node in its own process group (Ctrl-C reaches only this script, which stops it). */
async function startNode(
  w: DemoWarehouse,
  port: number,
  root: string,
  key: string,
  join: string[]
): Promise<Running> {
  const dataDir = path.join(root, w.name.toLowerCase())
  const log = path.join(root, `${w.name.toLowerCase()}.log`)
  const args = ['--port', String(port), '--host', '127.0.0.1', '--data-dir', dataDir]
  args.push('--name', w.name, ...(join.length ? ['--join', join.join(',')] : []))
  const child = spawn(process.execPath, nodeArgs(args), {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ALMACEN_CLUSTER_KEY: key, ALMACEN_LOG_LEVEL: 'info' },
  })
  const exited = once(child, 'exit')
  spawned.push({ child, exited })
  const file = createWriteStream(log)
  child.stderr?.pipe(file)
  const url = await new Promise<string>((resolve, reject) => {
    let buffered = ''
    child.stdout?.on('data', (chunk: Buffer) => {
      file.write(chunk)
      buffered += chunk
      for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
        const line = buffered.slice(0, nl)
        buffered = buffered.slice(nl + 1)
        try {
          const { msg, url } = JSON.parse(line)
          if (typeof url === 'string' && /listening/.test(msg)) resolve(url)
        } catch {
          // not a log line
        }
      }
    })
    exited.then(([code]) =>
      reject(new Error(`${w.name} exited (${code}) before listening: see ${log}`))
    )
  })
  return { name: w.name, child, url, dataDir, log, exited }
}

/** Stops every node: SIGTERM (each leaves the network), then its whole group if it lingers. */
async function stopAll(): Promise<void> {
  await Promise.all(
    spawned.map(async ({ child, exited }) => {
      const pid = child.pid as number
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      const timer = setTimeout(() => killGroup(pid), STOP_GRACE_MS)
      await exited
      clearTimeout(timer)
      killGroup(pid) // its worker, had it outlived the node
    })
  )
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL')
  } catch {
    // the group is gone: nothing left to stop
  }
}

async function call(url: string, method: string, route: string, body?: unknown) {
  const res = await fetch(url + route, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const answer = await res.json()
  if (!res.ok) throw new Error(`${method} ${route} at ${url}: ${answer.status} ${answer.error}`)
  return answer
}

async function untilJoined(nodes: Running[], withinMs: number): Promise<void> {
  const until = Date.now() + withinMs
  for (;;) {
    const views = await Promise.all(nodes.map((n) => call(n.url, 'GET', '/members')))
    const alive = (v: { members: { state: string }[] }) =>
      v.members.filter((m) => m.state === 'alive').length === nodes.length
    if (views.every(alive)) return
    if (Date.now() > until) throw new Error('the three did not see each other alive in time')
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

/** Puts each warehouse's catalogue and movements in through its REST API. */
async function seed(nodes: Running[]): Promise<{ items: number; movements: number }> {
  const counts = { items: 0, movements: 0 }
  await Promise.all(
    nodes.map(async (node, index) => {
      const { items, movements } = plan(index, WAREHOUSES[index])
      for (const item of items) await call(node.url, 'POST', '/items', item)
      for (const movement of movements) await call(node.url, 'POST', '/movements', movement)
      counts.items += items.length
      counts.movements += movements.length
    })
  )
  return counts
}

/** A path as short as it reads: relative under the working directory, absolute elsewhere. */
function shown(p: string): string {
  const relative = path.relative('.', p)
  return relative && !relative.startsWith('..') ? relative : p
}

function instructions(
  nodes: Running[],
  root: string,
  counts: { items: number; movements: number }
) {
  const [madrid, sevilla, bilbao] = nodes
  const w = Math.max(...nodes.map((n) => n.name.length))
  const rows = nodes.map(
    (n) => `  ${n.name.padEnd(w)}  ${n.url}   pid ${n.child.pid}   log ${shown(n.log)}`
  )
  const client = `npm run -s client -- --url`
  return `
almacen demo: three warehouses on this machine, joined in one peer network.

${rows.join('\n')}

Seeded through the REST API: ${counts.items} items and ${counts.movements} movements (data in ${shown(root)}, cluster key in ${shown(path.join(root, 'cluster.key'))}).

Try, in another terminal:
  ${client} ${madrid.url}                     the menus, as Madrid's staff see them
  ${client} ${madrid.url} where BOLT-M8       one SKU in every warehouse, and the total
  ${client} ${madrid.url} where CABLE-2.5     Bilbao counts it in rolls: never added to metres
  curl -s '${sevilla.url}/network/stock?low=true'   what is low, in every warehouse
  kill -STOP ${bilbao.child.pid}; ${client} ${madrid.url} where BOLT-M8; kill -CONT ${bilbao.child.pid}
                                      Bilbao frozen: the answer still comes within 2 s, marked INCOMPLETE

Ctrl-C stops all three.`
}

async function main() {
  const { root, base } = options()
  freshRoot(root)
  const key = randomBytes(24).toString('base64url')
  writeFileSync(path.join(root, 'cluster.key'), `${key}\n`, { mode: 0o600 })
  const nodes: Running[] = []
  let stopping: Promise<void> | undefined
  const stop = () => {
    // The terminal's Ctrl-C reaches npm and this script alike, and npm passes it on: one stop.
    stopping ??= (async () => {
      console.log('\nStopping the three warehouses…')
      await stopAll()
      console.log('Stopped: every node left the network and exited.')
      process.exit(0)
    })()
  }
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, stop)
  try {
    const port = (i: number) => (base === 0 ? 0 : base + i)
    const first = await startNode(WAREHOUSES[0], port(0), root, key, [])
    nodes.push(first)
    const others = WAREHOUSES.slice(1).map((w, i) =>
      startNode(w, port(i + 1), root, key, [first.url])
    )
    const settled = await Promise.allSettled(others)
    for (const s of settled) if (s.status === 'fulfilled') nodes.push(s.value)
    for (const s of settled) if (s.status === 'rejected') throw s.reason
    await untilJoined(nodes, 20_000)
    const counts = await seed(nodes)
    console.log(instructions(nodes, root, counts))
  } catch (err) {
    console.error(`npm run demo: ${(err as Error).message}`)
    await stopAll()
    process.exit(1)
  }
}

await main()
