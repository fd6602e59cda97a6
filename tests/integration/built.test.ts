import { existsSync } from 'node:fs'
import t from 'tap'
import { BUILT_MAIN, CLUSTER_KEY, exitOf, startProcess, until } from '../fixtures/node-process.ts'
import { tempDir } from '../fixtures/temp-dir.ts'
import { api } from '../fixtures/test-node.ts'

// `npm start` runs the built JavaScript (dist/), not the TypeScript the other tests run.
const env = { ALMACEN_CLUSTER_KEY: CLUSTER_KEY }

t.test(
  'the built node serves, migrates, and keeps its peers',
  { skip: !existsSync(BUILT_MAIN) && 'run `npm run build` first' },
  async (t) => {
    const a = await startProcess(t, ['--port', '0', '--data-dir', tempDir(t), '--name', 'A'], env, {
      built: true,
    })
    t.ok(
      a.lines.some((l) => l.msg === 'database migrated'),
      'the built worker applied the migrations'
    )
    t.equal((await api(a, 'POST', '/items', { sku: 'NUT', name: 'Nut', unit: 'ea' })).status, 201)
    t.match(
      (await api(a, 'POST', '/movements', { type: 'receipt', sku: 'NUT', quantity: 5 })).body,
      { balanceAfter: 5 }
    )
    t.match((await api(a, 'POST', '/ledger/verify')).body, { ok: true })

    // A signal to the whole process group (Ctrl-C, `timeout`, systemd's default KillMode) reaches
    // the worker too: it must wait for the runtime, which leaves the network first.
    const b = await startProcess(
      t,
      ['--port', '0', '--data-dir', tempDir(t), '--name', 'B', '--join', a.url],
      env,
      {
        built: true,
        detached: true,
      }
    )
    const stateOfB = async () =>
      (await api(a, 'GET', '/members')).body.members.find((m: { name: string }) => m.name === 'B')
        ?.state
    await until(async () => (await stateOfB()) === 'alive', 8000, 'B joined')
    process.kill(-(b.child.pid as number), 'SIGTERM')
    t.equal(await exitOf(b), 0, 'B stopped cleanly')
    t.ok(
      b.lines.some((l) => l.msg === 'left the peer network' && (l.acked as string[]).length === 1),
      'A acknowledged the leave'
    )
    t.equal(await stateOfB(), 'left', 'A sees B as left, not failed')
  }
)
