// The container: the image (Dockerfile) and the three warehouses of compose.yaml, built and run
// as the README says, where Docker runs. Elsewhere (no daemon, no compose) it skips, saying why,
// in the time `docker info` takes to fail.
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'
import t from 'tap'
import { until } from '../fixtures/node-process.ts'
import { ROOT } from '../fixtures/root.ts'
import { tempDir } from '../fixtures/temp-dir.ts'

const run = promisify(execFile)
const quietly = (file: string, args: string[]) =>
  run(file, args, { cwd: ROOT, timeout: 10_000 }).then(
    () => true,
    () => false
  )

/** `docker compose` (v2), else `docker-compose` (v1), as [file, ...leading args]. */
async function composeCommand(): Promise<string[] | undefined> {
  if (await quietly('docker', ['compose', 'version'])) return ['docker', 'compose']
  if (await quietly('docker-compose', ['version'])) return ['docker-compose']
}

// Why the container cannot be tried here, if it cannot.
const dockerRuns = await quietly('docker', ['info'])
const command = dockerRuns ? await composeCommand() : undefined
const reason = !dockerRuns
  ? '`docker info` fails: no Docker daemon answers'
  : !command && 'neither `docker compose` nor `docker-compose` is installed'
const [file, ...lead] = command ?? []
// A build takes minutes: more than the suite's per-file timeout.
if (!reason) t.setTimeout(20 * 60_000)
const project = `almacen-test-${randomBytes(3).toString('hex')}`
// Empty ports: Docker picks free ones (a demo or the user's own compose may hold 8081-8083).
const env: Record<string, string | undefined> = {
  ...process.env,
  ALMACEN_CLUSTER_ENV: '',
  ALMACEN_MADRID_PORT: '',
  ALMACEN_SEVILLA_PORT: '',
  ALMACEN_BILBAO_PORT: '',
}
const compose = async (...args: string[]) =>
  (
    await run(file!, [...lead, '-p', project, '-f', path.join(ROOT, 'compose.yaml'), ...args], {
      cwd: ROOT,
      env,
      timeout: 15 * 60_000,
      maxBuffer: 64 * 1024 * 1024,
    })
  ).stdout.trim()

t.test(
  'three warehouses in containers join, answer, and keep their data over a restart',
  { skip: reason && `the container is not tried: ${reason}` },
  async (t) => {
    t.setTimeout(20 * 60_000)
    const keys = tempDir(t, 'compose')
    env.ALMACEN_CLUSTER_ENV = path.join(keys, 'cluster.env')
    writeFileSync(
      env.ALMACEN_CLUSTER_ENV,
      `ALMACEN_CLUSTER_KEY=${randomBytes(32).toString('hex')}\n`
    )
    t.teardown(() => compose('down', '-v', '--timeout', '10'))
    // One build (the three services share the image), then the three from it.
    await compose('build', 'madrid')
    await compose('up', '-d')

    const url = async (service: string) =>
      `http://${(await compose('port', service, '8080')).split('\n')[0]}`
    const madrid = await url('madrid')
    // The image's HEALTHCHECK (node asking /health) reports the node healthy.
    const container = await compose('ps', '-q', 'madrid')
    const health = async () =>
      (await run('docker', ['inspect', '-f', '{{.State.Health.Status}}', container])).stdout.trim()
    await until(async () => (await health()) === 'healthy', 120_000, 'Madrid healthy')

    // The admin token, written on the first start into the volume, readable by the node's user;
    // the volume is that user's alone too.
    const inMadrid = (...args: string[]) => compose('exec', '-T', 'madrid', ...args)
    const modes = await inMadrid('stat', '-c', '%n %U %a', '/data', '/data/admin-token')
    t.same(
      modes.split('\n'),
      ['/data almacen 700', '/data/admin-token almacen 600'],
      'the data directory and the token file are the node user’s alone'
    )
    const token = await inMadrid('cat', '/data/admin-token')
    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' }

    const alive = async () => {
      const answer = await fetch(`${madrid}/members`, { headers: auth })
      const { members } = (await answer.json()) as { members: { name: string; state: string }[] }
      return members.filter((m) => m.state === 'alive').map((m) => m.name)
    }
    await until(async () => (await alive()).length === 3, 120_000, 'three members alive')
    t.same((await alive()).sort(), ['Bilbao', 'Madrid', 'Sevilla'])

    // The web client, bundled during the build (its bundler is dropped after), served by the node.
    const page = await (await fetch(`${madrid}/`)).text()
    const script = /\/assets\/app-\w+\.js/.exec(page)?.[0]
    t.ok(script, 'the page names its bundled script')
    const bundle = await fetch(`${madrid}${script}`)
    t.match(
      { status: bundle.status, type: bundle.headers.get('content-type') },
      { status: 200, type: /javascript/ },
      'the script is served from the image'
    )

    const item = { sku: 'BOLT-M8', name: 'Bolt M8 zinc', unit: 'ea', reorderPoint: 50 }
    const created = await fetch(`${madrid}/items`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify(item),
    })
    t.equal(created.status, 201)

    await compose('restart', 'madrid')
    const after = await url('madrid')
    await until(async () => (await fetch(`${after}/health`)).ok, 120_000, 'Madrid back')
    const read = await fetch(`${after}/items/BOLT-M8`, { headers: auth })
    t.match(await read.json(), { sku: 'BOLT-M8', name: 'Bolt M8 zinc' }, 'the item survived')
  }
)
