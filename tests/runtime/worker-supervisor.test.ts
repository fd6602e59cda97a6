import { tmpdir } from 'node:os'
import path from 'node:path'
import { rmSync, writeFileSync } from 'node:fs'
import { pino } from 'pino'
import t from 'tap'
import { WorkerSupervisor, type WorkerReady } from '../../runtime/worker-supervisor.ts'

function supervisor(
  t: { teardown(fn: () => unknown): void },
  dataDir: string,
  events: string[],
  onReady: (r: WorkerReady) => void = () => {}
) {
  const socket = path.join(
    tmpdir(),
    `almacen-sup-${process.pid}-${Math.random().toString(36).slice(2)}.ipc`
  )
  t.teardown(() => rmSync(socket, { force: true }))
  return new WorkerSupervisor({
    endpoint: `ipc://${socket}`,
    dataDir,
    name: 'Supervised',
    logLevel: 'silent',
    log: pino({ level: 'silent' }),
    onReady: (ready) => {
      events.push('ready')
      onReady(ready)
    },
    onDown: (reason) => events.push(`down: ${reason}`),
  })
}

t.test('restarts a worker that was killed, reporting it down and then ready again', async (t) => {
  const events: string[] = []
  let readyAgain: (r: WorkerReady) => void = () => {}
  const restarted = new Promise<WorkerReady>((resolve) => (readyAgain = resolve))
  let first = true
  const sup = supervisor(t, t.testdir(), events, (r) => (first ? (first = false) : readyAgain(r)))
  t.teardown(() => sup.stop())
  const ready = await sup.start()
  t.match(ready, { name: 'Supervised', id: /^[0-9a-f-]{36}$/ })
  process.kill(ready.pid, 'SIGKILL')
  const again = await restarted
  t.not(again.pid, ready.pid)
  t.equal(again.id, ready.id, 'the same database, the same node id')
  t.same(events, ['ready', 'down: worker exited with SIGKILL', 'ready'])
  await sup.stop()
  t.throws(() => process.kill(again.pid, 0), 'stop() waits for the worker to exit')
})

t.test('a worker that cannot open its database fails the start with the reason', async (t) => {
  const dir = t.testdir()
  writeFileSync(
    path.join(dir, 'almacen.sqlite'),
    'this is not a database, it is a text file that is long enough to have a header'
  )
  const sup = supervisor(t, dir, [])
  t.teardown(() => sup.stop())
  await t.rejects(sup.start(), {
    message: /The database worker failed to start: .*(not a database|SQLITE_NOTADB)/,
  })
})
