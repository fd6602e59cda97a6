// A queue through kill -9 (runtime and worker together), twice: once during confirmed publishes,
// once during receives with acks. No confirmed message is lost, a publish sent again with its id
// is taken once, no acknowledged message is delivered again, and every message a consumer held
// unacknowledged at the crash is delivered again.
import t from 'tap'
import { startProcess, type NodeProcess } from '../fixtures/node-process.ts'
import { tempDir } from '../fixtures/temp-dir.ts'
import { api } from '../fixtures/test-node.ts'

const N = 10_000
const PUBLISHERS = 8
const CONSUMERS = 4
const VISIBILITY_MS = 1500

type Test = Parameters<typeof startProcess>[0]

function start(t: Test, dir: string) {
  return startProcess(
    t,
    ['--port', '0', '--data-dir', dir, '--name', 'Crash'],
    {},
    { detached: true }
  )
}

async function kill(node: NodeProcess) {
  try {
    process.kill(-(node.child.pid as number), 'SIGKILL')
  } catch {
    // gone already
  }
  await node.exited
}

/** Runs `workers` loops of `step` until one returns false or `stop` says so; errors end a loop. */
async function inParallel(workers: number, step: () => Promise<boolean>) {
  await Promise.all(
    Array.from({ length: workers }, async () => {
      try {
        while (await step());
      } catch {
        // the node died under the request: what was confirmed before is what counts
      }
    })
  )
}

t.test(
  'kill -9 during publishes and during receives: nothing confirmed lost, nothing acked twice',
  async (t) => {
    const dir = tempDir(t)
    let node = await start(t, dir)
    t.equal(
      (await api(node, 'POST', '/queues', { name: 'crash', visibilityTimeoutMs: VISIBILITY_MS }))
        .status,
      201
    )

    // 1. Publishes, each confirmed or not; the node is killed part-way.
    const confirmed = new Set<string>()
    let next = 0
    const killAt = Math.floor(N * 0.4)
    let killing: Promise<void> | undefined
    await inParallel(PUBLISHERS, async () => {
      const id = `m-${next++}`
      if (next > N) return false
      const reply = await api(node, 'POST', '/queues/crash/messages', { id, body: { id } })
      if (reply.status === 201) confirmed.add(id)
      if (confirmed.size >= killAt) killing ??= kill(node)
      return !killing
    })
    await killing
    t.ok(confirmed.size >= killAt, `${confirmed.size} publishes confirmed before the kill`)

    node = await start(t, dir)
    const after = (await api(node, 'GET', '/queues/crash')).body
    t.ok(after.ready >= confirmed.size, `every confirmed message is there (${after.ready} ready)`)
    // The publisher sends again what it had no confirmation for, and a few it had: each once.
    const resend = Array.from({ length: N }, (_, i) => `m-${i}`).filter((id) => !confirmed.has(id))
    for (let at = 0; at < resend.length; at += 1000) {
      const messages = resend.slice(at, at + 1000).map((id) => ({ id, body: { id } }))
      const reply = await api(node, 'POST', '/queues/crash/messages/batch', { messages })
      t.equal(reply.status, 200)
    }
    const some = [...confirmed].slice(0, 50).map((id) => ({ id, body: { id } }))
    const dup = await api(node, 'POST', '/queues/crash/messages/batch', { messages: some })
    t.ok(
      dup.body.results.every((r: { duplicate: boolean }) => r.duplicate),
      'confirmed ones sent again are duplicates'
    )
    t.match((await api(node, 'GET', '/queues/crash')).body, { ready: N }, 'each message once')

    // 2. Receives with acks; the node is killed part-way through.
    const acked = new Set<string>()
    const deliveredAfterAck: string[] = []
    const consume = (stopAt: number) =>
      inParallel(CONSUMERS, async () => {
        const got = await api(node, 'POST', '/queues/crash/receive', { max: 50, waitMs: 200 })
        if (got.status !== 200) return false
        const messages = got.body.messages as { id: string; receipt: string }[]
        for (const m of messages) if (acked.has(m.id)) deliveredAfterAck.push(m.id)
        if (messages.length === 0) {
          const q = (await api(node, 'GET', '/queues/crash')).body
          return q.ready + q.inFlight + q.delayed > 0 // wait out what is in flight
        }
        const reply = await api(node, 'POST', '/queues/crash/ack', {
          receipts: messages.map((m) => m.receipt),
        })
        if (reply.status !== 200) return false
        reply.body.results.forEach((r: { ok: boolean }, i: number) => {
          if (r.ok) acked.add(messages[i].id)
        })
        return acked.size < stopAt
      })
    await consume(Math.floor(N * 0.5))
    await kill(node)
    const ackedBeforeKill = acked.size
    t.ok(ackedBeforeKill >= N * 0.5, `${ackedBeforeKill} acknowledged before the kill`)

    node = await start(t, dir)
    await consume(N)
    t.same(deliveredAfterAck, [], 'no acknowledged message was delivered again')
    t.equal(acked.size, N, 'every message was delivered and acknowledged')
    t.match((await api(node, 'GET', '/queues/crash')).body, {
      ready: 0,
      inFlight: 0,
      deadLetters: 0,
    })
  }
)
