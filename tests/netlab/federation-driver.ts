// Federation across a real partition, run inside the lab's ctl host by
// tests/integration/federation-netlab.test.ts (which makes the lab): three warehouses, each in its
// own network namespace with its own address, reached only over the lab's bridge. Madrid and
// Bilbao federate stock.> to Sevilla, where an ERP subscribes. Madrid is killed (kill -9, by its
// failpoint) after Sevilla applied its first delivery and before Madrid recorded it, so it sends
// that message again when it comes back; then Sevilla's cable is pulled while both record
// movements, long enough for them to see it fail, and put back. Prints one JSON line: each
// origin's acknowledged movements (ledger seqs, in the order the API answered them) and what the
// ERP received (origin, seq, message id), in the order received.
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, mkdtempSync, openSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { nodeArgs } from '../../lib/build.ts'
import { CLUSTER_KEY, QUICK_TIMING_ARGS, until } from '../fixtures/node-process.ts'
import { ROOT } from '../fixtures/root.ts'
import { api } from '../fixtures/test-node.ts'
import { rememberToken } from '../fixtures/tokens.ts'
import { attachLab } from './lab.ts'

const HOSTS = { Madrid: 'a', Sevilla: 'b', Bilbao: 'c' } as const
type Name = keyof typeof HOSTS
const PORT = 7400

const lab = attachLab(process.env.LAB_PREFIX as string, Object.values(HOSTS))
const logs = mkdtempSync(path.join(tmpdir(), 'almacen-netlab-'))
const dirs = Object.fromEntries(
  Object.keys(HOSTS).map((name) => [name, mkdtempSync(path.join(logs, `${name}-`))])
) as Record<Name, string>
const url = (name: Name) => `http://${lab.ip(HOSTS[name])}:${PORT}`
const at = (name: Name) => ({ url: url(name) })
const running = new Map<Name, ChildProcess>()

/** Starts a warehouse in its host's namespace; resolves once it listens. */
async function start(name: Name, join: Name[], env: Record<string, string> = {}) {
  const host = HOSTS[name]
  const args = [
    ...['--host', lab.ip(host), '--port', String(PORT), '--insecure-http'],
    ...['--data-dir', dirs[name], '--name', name, ...QUICK_TIMING_ARGS],
    ...join.flatMap((other) => ['--join', url(other)]),
  ]
  const log = openSync(path.join(logs, `${name}.log`), 'a')
  const child = spawn('ip', ['netns', 'exec', lab.ns(host), process.execPath, ...nodeArgs(args)], {
    cwd: ROOT,
    stdio: ['ignore', log, log],
    env: { ...process.env, ALMACEN_CLUSTER_KEY: CLUSTER_KEY, ALMACEN_LOG_LEVEL: 'info', ...env },
  })
  running.set(name, child)
  await until(async () => (await fetch(`${url(name)}/health`)).ok, 30_000, `${name} listens`)
  rememberToken(url(name), dirs[name])
  return child
}

async function allAlive(names: Name[], withinMs = 30_000) {
  await until(
    async () => {
      for (const name of names) {
        const { members } = (await api(at(name), 'GET', '/members')).body
        if (members.filter((m: { state: string }) => m.state === 'alive').length !== names.length)
          return false
      }
      return true
    },
    withinMs,
    `${names.join(', ')} see each other alive`
  )
}

const acknowledged: Record<string, number[]> = { Madrid: [], Bilbao: [] }

/** Records `count` receipts of `sku` at `name`, each acknowledged before the next. */
async function record(name: 'Madrid' | 'Bilbao', sku: string, count: number) {
  for (let i = 0; i < count; i++) {
    const reply = await api(at(name), 'POST', '/movements', { type: 'receipt', sku, quantity: 1 })
    if (reply.status !== 201)
      throw new Error(`${name}: ${reply.status} ${JSON.stringify(reply.body)}`)
    acknowledged[name].push(reply.body.seq)
  }
}

type Received = { origin: string; seq: number; id: string }
const received: Received[] = []
/** Messages the ERP took off its queue, as received. */
type Taken = { id: string; headers: Record<string, string>; body: { data: { seq: number } } }
const took = (messages: Taken[]) => {
  for (const m of messages) {
    received.push({ origin: m.headers['x-origin-name'], seq: m.body.data.seq, id: m.id })
  }
}
async function drain(want: number, withinMs: number) {
  await until(
    async () => {
      const reply = await api(at('Sevilla'), 'POST', '/queues/erp/receive', {
        max: 100,
        waitMs: 500,
      })
      const messages = reply.body.messages as {
        id: string
        receipt: string
        headers: Record<string, string>
        body: { data: { seq: number } }
      }[]
      took(messages)
      if (messages.length) {
        await api(at('Sevilla'), 'POST', '/queues/erp/ack', {
          receipts: messages.map((m) => m.receipt),
        })
      }
      return received.length >= want
    },
    withinMs,
    `the ERP got ${want} messages`
  )
}

const state = (of: Name, seen: Name) =>
  api(at(of), 'GET', '/members').then(
    (r) => r.body.members.find((m: { name: string }) => m.name === seen)?.state as string
  )

const steps: string[] = []
const step = (text: string) => steps.push(`${new Date().toISOString()} ${text}`)

// The whole scenario within tap's 120 s for a file: past this, it says where it was and stops.
const DEADLINE_MS = 100_000
setTimeout(() => {
  report({ ok: false, error: `not done within ${DEADLINE_MS / 1000} s` })
  for (const child of running.values()) child.kill('SIGKILL')
  process.exit(1)
}, DEADLINE_MS).unref()

try {
  await start('Sevilla', [])
  const madrid = await start('Madrid', ['Sevilla'], {
    ALMACEN_FAILPOINT: 'relay.after-answer-before-settle:kill',
  })
  await start('Bilbao', ['Sevilla'])
  await allAlive(['Madrid', 'Sevilla', 'Bilbao'])
  step('three warehouses alive, each in its own namespace')

  const subscription = await api(at('Sevilla'), 'POST', '/topics/stock.%3E/subscriptions', {
    name: 'erp',
  })
  if (subscription.status !== 201)
    throw new Error(`subscribe: ${JSON.stringify(subscription.body)}`)
  for (const [name, sku] of [
    ['Madrid', 'BOLT-M8'],
    ['Bilbao', 'NUT-M8'],
  ] as const) {
    await api(at(name), 'POST', '/federations', { pattern: 'stock.>', peers: ['Sevilla'] })
    await api(at(name), 'POST', '/items', { sku, name: sku, unit: 'ea' })
  }

  // Madrid's first delivery: Sevilla applies it and answers; Madrid dies before recording that.
  const killed = once(madrid, 'exit', { signal: AbortSignal.timeout(30_000) }).catch(() => {
    throw new Error('Madrid was not killed by its failpoint within 30 s')
  })
  await record('Madrid', 'BOLT-M8', 1)
  const [, signal] = await killed
  step(`Madrid killed by its failpoint (${signal}) after Sevilla applied its first message`)
  await start('Madrid', ['Sevilla'])
  await allAlive(['Madrid', 'Sevilla', 'Bilbao'])
  step('Madrid back: it sends that message again')

  await Promise.all([record('Madrid', 'BOLT-M8', 10), record('Bilbao', 'NUT-M8', 10)])
  step('10 receipts at each, at once')

  lab.cut(HOSTS.Sevilla)
  step("Sevilla's cable out")
  await Promise.all([record('Madrid', 'BOLT-M8', 10), record('Bilbao', 'NUT-M8', 10)])
  step('10 more at each while Sevilla is cut off')
  await until(
    async () => (await state('Madrid', 'Sevilla')) === 'failed',
    60_000,
    'Madrid sees Sevilla failed'
  )
  await until(
    async () => (await state('Bilbao', 'Sevilla')) === 'failed',
    60_000,
    'Bilbao sees Sevilla failed'
  )
  step('Madrid and Bilbao see Sevilla failed')
  await Promise.all([record('Madrid', 'BOLT-M8', 5), record('Bilbao', 'NUT-M8', 5)])
  lab.heal(HOSTS.Sevilla)
  step("Sevilla's cable back")

  const want = acknowledged.Madrid.length + acknowledged.Bilbao.length
  await drain(want, 90_000)
  step(`the ERP got ${received.length}`)
  // Anything more (a duplicate) would come now: one more wait for it.
  await api(at('Sevilla'), 'POST', '/queues/erp/receive', { max: 100, waitMs: 1500 }).then(
    (reply) => took(reply.body.messages)
  )
  // Madrid's relay says when Sevilla answers that it had applied a message already.
  const duplicates = readFileSync(path.join(logs, 'Madrid.log'), 'utf8')
    .split('\n')
    .filter((line) => line.includes('"duplicates":'))
    .reduce((sum, line) => sum + (JSON.parse(line).duplicates as number), 0)
  report({ ok: true, signal, duplicates })
} catch (err) {
  report({ ok: false, error: (err as Error).message })
} finally {
  for (const child of running.values()) child.kill('SIGKILL')
}

/** Prints the one JSON line the test reads; a run that failed adds each node's last lines. */
function report(outcome: Record<string, unknown>) {
  if (!outcome.ok) {
    const tails = Object.fromEntries(
      Object.keys(HOSTS).map((name) => {
        const file = path.join(logs, `${name}.log`)
        const text = existsSync(file) ? readFileSync(file, 'utf8') : '(not started)'
        return [name, text.split('\n').slice(-15).join('\n')]
      })
    )
    steps.push(`the nodes' last lines: ${JSON.stringify(tails, null, 1)}`)
  }
  process.stdout.write(`${JSON.stringify({ ...outcome, acknowledged, received, steps, logs })}\n`)
}
