import { fork, spawn } from 'node:child_process'
import { once } from 'node:events'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { pino, type Logger } from 'pino'
import t from 'tap'
import { WORKER_PID_FILE } from '../../runtime/worker-pid.ts'
import type { StartMessage } from '../../db/settings.ts'
import {
  WORKER_SCRIPT,
  WORKER_MALLOC_ARENAS,
  WorkerSupervisor,
  workerExecArgv,
  type WorkerReady,
} from '../../runtime/worker-supervisor.ts'
import { until } from '../fixtures/node-process.ts'

function socketFile(t: { teardown(fn: () => unknown): void }): string {
  const socket = path.join(
    tmpdir(),
    `almacen-sup-${process.pid}-${Math.random().toString(36).slice(2)}.ipc`
  )
  t.teardown(() => rmSync(socket, { force: true }))
  return socket
}

function supervisor(
  t: { teardown(fn: () => unknown): void },
  dataDir: string,
  events: string[],
  onReady: (r: WorkerReady) => void = () => {},
  log: Logger = pino({ level: 'silent' })
) {
  const socket = socketFile(t)
  return new WorkerSupervisor({
    settings: { endpoint: `ipc://${socket}`, dataDir, name: 'Supervised', logLevel: 'silent' },
    log,
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

t.test('a start waits for the worker of a previous run still on the data directory', async (t) => {
  const dir = t.testdir()
  // A stand-in for the worker of a runtime killed with -9: same script and data directory on
  // its command line, as the supervisor starts it.
  const previous = spawn(
    process.execPath,
    ['-e', 'setInterval(() => {}, 1000)', WORKER_SCRIPT, path.resolve(dir)],
    { stdio: 'ignore' }
  )
  t.teardown(() => previous.kill('SIGKILL'))
  writeFileSync(path.join(dir, WORKER_PID_FILE), String(previous.pid))
  const lines: { msg: string; workerPid?: number }[] = []
  const log = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) })
  const sup = supervisor(t, dir, [], () => {}, log)
  t.teardown(() => sup.stop())
  let startedAt = 0
  const started = sup.start().then((ready) => ((startedAt = Date.now()), ready))
  await until(
    () => lines.some((l) => /still runs: waiting/.test(l.msg) && l.workerPid === previous.pid),
    5000,
    'the start waits, and says for whom'
  )
  const exited = once(previous, 'exit').then(() => Date.now())
  previous.kill('SIGKILL')
  const ready = await started
  t.ok(startedAt >= (await exited), 'the new worker started only once the old one was gone')
  t.not(ready.pid, previous.pid)
})

t.test('a pid in the data directory that is no worker of it does not hold a start', async (t) => {
  const dir = t.testdir()
  // A reused pid: this test process is alive, but it is no worker on this data directory.
  writeFileSync(path.join(dir, WORKER_PID_FILE), String(process.pid))
  const sup = supervisor(t, dir, [])
  t.teardown(() => sup.stop())
  t.match(await sup.start(), { name: 'Supervised' })
})

t.test('the worker runs on the settings it is sent, whatever its environment says', async (t) => {
  const root = t.testdir({ here: {}, elsewhere: {} })
  const [dir, elsewhere] = [path.join(root, 'here'), path.join(root, 'elsewhere')]
  const worker = fork(WORKER_SCRIPT, [dir], {
    execArgv: workerExecArgv([]),
    env: {
      ...process.env,
      ALMACEN_NAME: 'From the environment',
      ALMACEN_DATA_DIR: elsewhere,
      ALMACEN_DB_ENDPOINT: `ipc://${socketFile(t)}`,
      ALMACEN_LOG_LEVEL: 'silent',
    },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  })
  t.teardown(() => worker.kill('SIGKILL'))
  const settings = {
    dataDir: dir,
    name: 'From the runtime',
    endpoint: `ipc://${socketFile(t)}`,
    logLevel: 'silent',
  }
  worker.send({ type: 'start', settings } satisfies StartMessage)
  const [ready] = await once(worker, 'message')
  t.match(ready, { type: 'ready', name: 'From the runtime' })
  t.ok(existsSync(path.join(dir, 'almacen.sqlite')), 'its database is where it was told')
  t.notOk(existsSync(path.join(elsewhere, 'almacen.sqlite')), 'ALMACEN_DATA_DIR is not read')
  worker.send({ type: 'stop' })
  await once(worker, 'exit')
})

/** The environment a worker started by a supervisor runs with, a line each. */
async function workerEnvironment(t: { teardown(fn: () => unknown): void; testdir(): string }) {
  const sup = supervisor(t, t.testdir(), [])
  t.teardown(() => sup.stop())
  const ready = await sup.start()
  return readFileSync(`/proc/${ready.pid}/environ`, 'utf8').split('\0')
}

t.test(
  "the worker gets none of the node's settings in its environment, least of all the key",
  async (t) => {
    process.env.ALMACEN_CLUSTER_KEY = 'not-for-the-worker-0123456789'
    t.teardown(() => delete process.env.ALMACEN_CLUSTER_KEY)
    const environment = await workerEnvironment(t)
    t.same(
      environment.filter((line) => line.startsWith('ALMACEN_')),
      []
    )
    t.ok(
      environment.some((line) => line.startsWith('PATH=')),
      'the rest of it is kept'
    )
    t.ok(
      environment.includes(`MALLOC_ARENA_MAX=${WORKER_MALLOC_ARENAS}`),
      "it allocates in glibc's two arenas"
    )
  }
)

t.test("a number of malloc arenas in the environment is the worker's", async (t) => {
  process.env.MALLOC_ARENA_MAX = '4'
  t.teardown(() => delete process.env.MALLOC_ARENA_MAX)
  const environment = await workerEnvironment(t)
  t.same(
    environment.filter((line) => line.startsWith('MALLOC_ARENA_MAX=')),
    ['MALLOC_ARENA_MAX=4']
  )
})
