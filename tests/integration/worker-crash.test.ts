import t from 'tap'
import { alive } from '../../lib/processes.ts'
import type { RunningNode } from '../../runtime/node.ts'
import { startProcess, until } from '../fixtures/node-process.ts'
import { tempDir } from '../fixtures/temp-dir.ts'
import { api, startTestNode, type ApiReply } from '../fixtures/test-node.ts'

/** Polls /health until the worker answers again (bounded). */
async function untilHealthy(node: RunningNode, withinMs = 15_000): Promise<void> {
  const deadline = Date.now() + withinMs
  while (Date.now() < deadline) {
    if ((await api(node, 'GET', '/health')).status === 200) return
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`the node was not healthy again within ${withinMs} ms`)
}

t.test(
  'kill -9 of the worker during 200 concurrent receipts loses no acknowledged receipt',
  async (t) => {
    const node = await startTestNode(t, { worker: 'process' })
    await api(node, 'POST', '/items', { sku: 'PALLET', name: 'Pallet', unit: 'ea' })
    const victim = node.worker.pid as number
    const receipt = (i: number) => ({
      type: 'receipt',
      sku: 'PALLET',
      quantity: 1,
      reference: `R-${i}`,
    })
    const key = (i: number) => ({ 'idempotency-key': `receipt-${i}` })

    // 100 receipts at once; after 10 acknowledgements the worker is frozen, 100 more are sent
    // (they wait on it, certainly in flight), and then it is killed: some of the first 100 may have
    // committed unacknowledged, all of the second are cut off. (Killing it at the 10th alone let a
    // quiet machine commit all of them first.)
    let acknowledged = 0
    let tenAcknowledged!: () => void
    const ten = new Promise<void>((resolve) => (tenAcknowledged = resolve))
    const send = (from: number) =>
      Array.from({ length: 100 }, async (_, n) => {
        const reply = await api(node, 'POST', '/movements', receipt(from + n), key(from + n))
        if (reply.status === 201 && ++acknowledged === 10) {
          process.kill(victim, 'SIGSTOP')
          tenAcknowledged()
        }
        return reply
      })
    const first = send(0)
    // Fewer than 10 acknowledged of the 100: said, not waited for.
    const settled = Promise.allSettled(first).then(() => {
      if (acknowledged < 10) throw new Error(`only ${acknowledged} of the first 100 acknowledged`)
    })
    await Promise.race([ten, settled])
    const second = send(100)
    await until(() => node.db.inFlight > 0, 10_000, 'receipts waiting on the frozen worker')
    process.kill(victim, 'SIGKILL')
    const replies: ApiReply[] = await Promise.all([...first, ...second])
    const acked = replies.filter((r) => r.status === 201)
    const failed = replies.filter((r) => r.status !== 201)
    t.ok(acked.length >= 10, `${acked.length} receipts were acknowledged before or after the kill`)
    t.ok(failed.length > 0, `${failed.length} receipts were cut off by the kill`)
    for (const reply of failed)
      t.match(reply.body, { status: 503, code: 'DB_UNAVAILABLE' }, 'cut off with 503, not a hang')

    await untilHealthy(node)
    t.not(node.worker.pid, victim, 'a new worker is running')
    const ledger = (await api(node, 'GET', '/movements?sku=PALLET&limit=500')).body.movements
    const bySeq = new Map(ledger.map((m: { seq: number }) => [m.seq, m]))
    t.ok(
      acked.every(
        (reply) => JSON.stringify(bySeq.get(reply.body.seq)) === JSON.stringify(reply.body)
      ),
      'every acknowledged receipt is in the ledger, exactly as acknowledged'
    )
    t.match((await api(node, 'POST', '/ledger/verify')).body, { ok: true })

    // Clients retry what was not acknowledged, with the same keys: each applies exactly once.
    const retried = await Promise.all(
      replies.map((reply, i) =>
        reply.status === 201 ? reply : api(node, 'POST', '/movements', receipt(i), key(i))
      )
    )
    t.ok(
      retried.every((r) => r.status === 201),
      'every retry is accepted'
    )
    t.match((await api(node, 'GET', '/stock/PALLET')).body, { onHand: 200 })
    t.match((await api(node, 'GET', '/node')).body, { counts: { movements: 200 } })
    t.match((await api(node, 'POST', '/ledger/verify')).body, {
      ok: true,
      checked: { movements: 200 },
    })
  }
)

t.test(
  'a worker that does not answer gets 504, and the abandoned write is never applied',
  async (t) => {
    const node = await startTestNode(t, { dbTimeoutMs: 400, worker: 'process' })
    await api(node, 'POST', '/items', { sku: 'DRUM', name: 'Drum', unit: 'ea' })
    const worker = node.worker.pid as number
    process.kill(worker, 'SIGSTOP')
    t.teardown(() => {
      try {
        process.kill(worker, 'SIGCONT')
      } catch {
        // already gone
      }
    })
    const receipt = { type: 'receipt', sku: 'DRUM', quantity: 7 }
    const started = Date.now()
    const timedOut = await api(node, 'POST', '/movements', receipt, { 'idempotency-key': 'drum-1' })
    t.match(timedOut, { status: 504, body: { code: 'DB_TIMEOUT', error: /Idempotency-Key/ } })
    t.ok(Date.now() - started < 3000, 'the caller is answered at its timeout, not left hanging')

    process.kill(worker, 'SIGCONT')
    await untilHealthy(node)
    t.match(
      (await api(node, 'GET', '/stock/DRUM')).body,
      { onHand: 0 },
      'the expired receipt was not applied'
    )
    const retry = await api(node, 'POST', '/movements', receipt, { 'idempotency-key': 'drum-1' })
    t.match(retry, { status: 201, body: { seq: 1, balanceAfter: 7 } })
  }
)

t.test(
  'kill -9 of the runtime under load: its worker exits at once, and a restart finds the ledger whole',
  async (t) => {
    const dataDir = tempDir(t)
    const node = await startProcess(t, ['--port', '0', '--data-dir', dataDir, '--name', 'Lugo'])
    const workerPid = node.lines.find((l) => l.msg === 'database worker ready')?.workerPid as number
    await api(node, 'POST', '/items', { sku: 'CRATE', name: 'Crate', unit: 'ea' })
    // Fifty clients writing: when the runtime dies, the worker is in a batch with replies to send.
    let acknowledged = 0
    let stop = false
    t.teardown(() => (stop = true))
    const clients = Array.from({ length: 50 }, async () => {
      while (!stop) {
        const reply = await api(node, 'POST', '/movements', {
          type: 'receipt',
          sku: 'CRATE',
          quantity: 1,
        }).catch(() => null)
        if (reply?.status === 201) acknowledged++
      }
    })
    await until(() => acknowledged >= 200, 20_000, 'the writers are under way')
    node.child.kill('SIGKILL')
    const goneMs = await until(() => !alive(workerPid), 2000, 'the orphaned worker exits')
    t.pass(`the worker was gone ${goneMs} ms after its runtime`)
    stop = true
    await Promise.all(clients)

    const again = await startProcess(t, ['--port', '0', '--data-dir', dataDir])
    const verify = await api(again, 'POST', '/ledger/verify')
    t.match(verify.body, { ok: true }, 'the restarted node finds the ledger whole')
    t.ok(
      verify.body.checked.movements >= acknowledged,
      `every acknowledged receipt is there (${acknowledged} acknowledged)`
    )
  }
)
