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
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { nodeArgs } from '../lib/build.ts'
import { CATALOGUE, plan, WAREHOUSES, type DemoWarehouse } from './catalogue.ts'
import { ADMIN_TOKEN_FILE } from '../api/access.ts'

/** A data directory with this file is the demo's own: it is wiped at the next run. */
const MARKER = '.almacen-demo'
const STOP_GRACE_MS = 15_000

/** A node process's end: its exit code, or the signal that ended it. */
type Exit = Promise<[code: number | null, signal: NodeJS.Signals | null]>

/** Every node process started, from its spawn on: what a stop must end, started or not. */
const spawned: { child: ChildProcess; exited: Exit }[] = []

interface Running {
  name: string
  child: ChildProcess
  url: string
  dataDir: string
  /** Its first admin token, which it wrote in its data directory. */
  token: string
  log: string
  exited: Exit
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
    console.log(`Usage: npm run demo -- [--data-dir DIR] [--port-base N]

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
  const exited = once(child, 'exit') as Exit
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
  const token = readFileSync(path.join(dataDir, ADMIN_TOKEN_FILE), 'utf8').trim()
  tokens.set(url, token)
  return { name: w.name, child, url, dataDir, token, log, exited }
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

/** Each node's admin token, by its URL. */
const tokens = new Map<string, string>()

async function call(url: string, method: string, route: string, body?: unknown) {
  const auth = { authorization: `Bearer ${tokens.get(url)}` }
  const res = await fetch(url + route, {
    method,
    headers: body === undefined ? auth : { ...auth, 'content-type': 'application/json' },
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

/** Runs the text client once (a one-shot command) against `url`; its output, or why it failed. */
async function client(url: string, args: string[]): Promise<string> {
  const main = fileURLToPath(new URL('../client/main.ts', import.meta.url))
  const child = spawn(process.execPath, ['--import', 'tsx', main, '--url', url, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1', ALMACEN_TOKEN: tokens.get(url) },
  })
  let out = ''
  child.stdout?.on('data', (chunk) => (out += chunk))
  child.stderr?.on('data', (chunk) => (out += chunk))
  const [code] = await once(child, 'close')
  if (code !== 0) throw new Error(`almacen ${args.join(' ')} at ${url} failed: ${out.trim()}`)
  return out
}

async function untilTrue(check: () => Promise<boolean>, withinMs: number, what: string) {
  const until = Date.now() + withinMs
  while (!(await check().catch(() => false))) {
    if (Date.now() > until) throw new Error(`${what}: not within ${withinMs / 1000} s`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

/** Stops one node cleanly (SIGTERM: it leaves the network) and waits until it has exited. */
async function stopNode(node: Running): Promise<void> {
  node.child.kill('SIGTERM')
  await node.exited
  killGroup(node.child.pid as number)
}

export interface DemoTransfers {
  received: string
  waited: string
  waitedMs: number
}

/**
 * Two transfers through the text client, as staff make them: Madrid sends to Sevilla, which
 * receives it; then Bilbao is stopped, Madrid sends to it all the same (the transfer waits in
 * Madrid's outbox), Bilbao starts again and the transfer arrives, for Bilbao's staff to receive.
 */
async function transfers(
  nodes: Running[],
  restart: (node: Running) => Promise<Running>
): Promise<DemoTransfers> {
  const [madrid, sevilla] = nodes
  const idOf = (json: string) => (JSON.parse(json) as { id: string }).id
  const received = idOf(
    await client(madrid.url, [
      'send',
      '--to',
      'Sevilla',
      'BOLT-M8',
      '40',
      '--ref',
      'DN-1001',
      '--json',
    ])
  )
  await untilTrue(
    async () => (await call(sevilla.url, 'GET', `/transfers/${received}`)).state === 'announced',
    10_000,
    'Sevilla hears of DN-1001'
  )
  await client(sevilla.url, ['receive-transfer', received])

  await stopNode(nodes[2])
  const waited = idOf(
    await client(madrid.url, [
      'send',
      '--to',
      'Bilbao',
      'TAPE-PTFE',
      '12',
      '--ref',
      'DN-1002',
      '--json',
    ])
  )
  const pending = await call(madrid.url, 'GET', `/transfers/${waited}`)
  if (pending.messages[0]?.deliveredAt) throw new Error('DN-1002 reached a stopped Bilbao')
  const back = Date.now()
  nodes[2] = await restart(nodes[2])
  await untilTrue(
    async () => (await call(nodes[2].url, 'GET', `/transfers/${waited}`)).state === 'announced',
    30_000,
    'Bilbao receives DN-1002 once it is back'
  )
  return { received, waited, waitedMs: Date.now() - back }
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
  counts: { items: number; movements: number },
  moved: DemoTransfers
) {
  const [madrid, sevilla, bilbao] = nodes
  const w = Math.max(...nodes.map((n) => n.name.length))
  const rows = nodes.map(
    (n) => `  ${n.name.padEnd(w)}  ${n.url}   pid ${n.child.pid}   log ${shown(n.log)}`
  )
  // The client finds a node's admin token in ALMACEN_DATA_DIR: each warehouse its own.
  const at = Object.fromEntries(
    nodes.map((n) => [n.url, `ALMACEN_DATA_DIR=${shown(n.dataDir)} npm run -s client -- --url`])
  )
  const curlAt = (n: Running) =>
    `curl -s -H "Authorization: Bearer $(cat ${shown(path.join(n.dataDir, ADMIN_TOKEN_FILE))})"`
  return `
almacen demo: three warehouses on this machine, joined in one peer network.

${rows.join('\n')}

Seeded through the REST API: a catalogue of ${CATALOGUE.length} SKUs (${counts.items} items across the three warehouses) and ${counts.movements} movements (data in ${shown(root)}, cluster key in ${shown(path.join(root, 'cluster.key'))}).

Transfers made through the text client (almacen send, almacen receive-transfer):
  DN-1001  Madrid → Sevilla, 40 BOLT-M8: received at Sevilla, closed at Madrid.
  DN-1002  Madrid → Bilbao, 12 TAPE-PTFE: sent while Bilbao was stopped; it waited in Madrid's
           outbox and reached Bilbao ${(moved.waitedMs / 1000).toFixed(1)} s after Bilbao started again.

In a browser, each warehouse's page (sign in with its admin token, in its data directory):
${nodes.map((n) => `  ${n.url}/  ${n.name.padEnd(w)}  token in ${shown(path.join(n.dataDir, ADMIN_TOKEN_FILE))}`).join('\n')}
  Where is it, Transfers and Network show the whole company, live: a transfer sent from one
  warehouse's page appears on the other's without a reload.

Each warehouse issues its own API tokens; its first admin token is in its data directory
(admin-token), where the client finds it through ALMACEN_DATA_DIR. Try, in another terminal:
  ${at[bilbao.url]} ${bilbao.url} transfers --in
        Bilbao's incoming transfers: DN-1002 waits
  ${at[bilbao.url]} ${bilbao.url} receive-transfer ${moved.waited}
  ${at[madrid.url]} ${madrid.url} transfers ${moved.waited}
        its story at Madrid: sent, delivered, received
  ${at[madrid.url]} ${madrid.url} send --to Sevilla NUT-M8 100 --ref DN-1003
  ${at[madrid.url]} ${madrid.url}
        the menus, as Madrid's staff see them
  ${at[madrid.url]} ${madrid.url} where BOLT-M8
        one SKU in every warehouse, and the total (where CABLE-2.5: Bilbao counts it in rolls)
  ${curlAt(sevilla)} '${sevilla.url}/network/stock?low=true'
        what is low, in every warehouse
  kill -STOP ${bilbao.child.pid}; ${at[madrid.url]} ${madrid.url} where BOLT-M8; kill -CONT ${bilbao.child.pid}
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
    const restart = async (node: Running) => {
      const index = nodes.indexOf(node)
      const again = await startNode(WAREHOUSES[index], Number(new URL(node.url).port), root, key, [
        first.url,
      ])
      return again
    }
    const moved = await transfers(nodes, restart)
    console.log(instructions(nodes, root, counts, moved))
    // A warehouse stopped from outside (a kill, a crash) is said, and the others go on.
    for (const node of nodes) {
      void node.exited.then(([code, signal]) => {
        if (stopping) return
        console.log(
          `\n${node.name} stopped (${signal ?? `exit code ${code}`}); the other warehouses go on. Ctrl-C stops them.`
        )
      })
    }
  } catch (err) {
    console.error(`npm run demo: ${(err as Error).message}`)
    await stopAll()
    process.exit(1)
  }
}

await main()
