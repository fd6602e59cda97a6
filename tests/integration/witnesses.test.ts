// The replicas as the ledger's witnesses, with every node a real process: a ledger edited and
// re-hashed on its own disk checks out by itself, and is caught by what its peers hold of it, at
// start (writes halted) and at verify; with no peer up, that is said plainly, not a failure.
import t from 'tap'
import { checkReplicas } from '../fixtures/replica-check.ts'
import { seedLedger } from '../fixtures/seed-ledger.ts'
import {
  halted,
  holds,
  norteHeldByCentro,
  rehashFrom,
  site,
  start,
  stop,
  url,
} from '../fixtures/sites.ts'
import { until } from '../fixtures/node-process.ts'
import { api } from '../fixtures/test-node.ts'

t.test(
  'a ledger re-hashed on its own disk is caught by its witnesses at start and at verify; with no peer up it is said plainly',
  async (t) => {
    const { a, b, aId } = await norteHeldByCentro(t, 4, 100)
    await stop(a)
    rehashFrom(a, 60)
    await start(t, a)

    await until(halted(a), 20_000, 'the start check halts writes on the witness')
    const refused = await api(url(a), 'POST', '/movements', {
      type: 'receipt',
      sku: 'SEED-0001',
      quantity: 1,
    })
    t.match(refused, {
      status: 409,
      body: { code: 'LEDGER_HALTED', error: /Centro's copy and this ledger part at row 60/ },
    })
    const verified = await api(url(a), 'POST', '/ledger/verify', {})
    t.match(verified.body, {
      ok: false,
      differences: [{ kind: 'witness', seq: 60, message: /Centro's copy .* part at row 60/ }],
      witnesses: {
        available: true,
        witnesses: [{ peer: { name: 'Centro' }, verdict: 'differs', holds: { seq: 100 } }],
      },
    })
    t.equal(verified.body.differences.length, 1, 'by itself, the ledger checks out')
    // An outsider's check says the same: Centro's copy and A's ledger differ from row 60 on.
    const [ofA] = (await checkReplicas([url(a), url(b)])).filter((r) => r.owner === aId)
    t.equal(ofA.problems.filter((p) => /differs from the owner/.test(p)).length, 41)
    t.match(ofA.problems[0], /row 60 differs/)

    await stop(b)
    const alone = await api(url(a), 'POST', '/ledger/verify', {})
    t.match(alone.body, {
      ok: true,
      witnesses: { available: false, summary: /^no witness available/ },
    })

    // The halt is kept on disk: a restart with no witness reachable does not lift it.
    await stop(a)
    await start(t, a)
    t.ok(await halted(a)(), 'still halted after a restart, with no peer up')
    const health = await api(url(a), 'GET', '/health')
    t.match(health.body.ledger.halt, { witnessed: true, problems: [/Centro's copy/] })
    // Only an acceptance lifts it, for good.
    const accepted = await api(url(a), 'POST', '/ledger/accept', {
      reason: 'the edit at row 60 was a tested repair',
    })
    t.equal(accepted.status, 200)
    await stop(a)
    await start(t, a)
    t.notOk(await halted(a)(), 'accepted: writes go on after a restart')
    const receipt = { type: 'receipt', sku: 'SEED-0001', quantity: 1 }
    t.equal((await api(url(a), 'POST', '/movements', receipt)).status, 201)
  }
)
