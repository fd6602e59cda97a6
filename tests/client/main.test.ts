// `almacen` as a script runs it: its stdout, stderr and exit status. These tests cover the command
// line itself, in the test's process (client/cli.ts) and, for what only a process shows (the bin,
// the exit status it hands the shell, a closed pipe), as a child process. one-shot.test.ts covers
// the commands against real nodes.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { copyFileSync, mkdirSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { tokenOf } from '../fixtures/tokens.ts'
import { almacen, almacenProcess, closedPort, runNode, seed } from '../fixtures/client-kit.ts'
import { tempDir } from '../fixtures/temp-dir.ts'
import { api, startTestNode } from '../fixtures/test-node.ts'
import { ROOT, fromRoot } from '../fixtures/root.ts'

/** `almacen ARGS` as a child process against `node`, its stdout and stderr piped to the test. */
function clientProcess(node: { url: string }, args: string[]) {
  return spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'client/main.ts'), ...args], {
    env: { ...process.env, ALMACEN_URL: node.url, ALMACEN_TOKEN: tokenOf(node.url) },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
}

t.test('bad arguments exit 2 with what is wrong, before anything is sent', async (t) => {
  const url = await closedPort() // anything sent would end in exit 3 instead
  const runs = await Promise.all(
    [
      ['receive', 'BOLT-M8', '0'],
      ['receive', 'BOLT-M8', '1.5'],
      ['issue', 'BOLT-M8'],
      ['adjust', 'BOLT-M8', '0'],
      ['count', 'BOLT M8', '3'],
      ['stock', '--frob'],
      ['frob'],
      ['add-item', 'X-1', '--unit', 'ea'],
      ['receive', 'A', '1', '--key', 'has space'],
    ].map((args) => almacen([...args, '--url', url]))
  )
  for (const run of runs) t.same([run.code, run.stdout], [2, ''])
  t.equal(
    runs[1].stderr,
    'almacen receive: QTY must be a whole number greater than zero, such as 12, not "1.5"\n' +
      'usage: almacen receive SKU QTY [--ref REF] [--note TEXT] [--key KEY]\n' +
      "See 'almacen receive --help'.\n"
  )
  t.match(runs[2].stderr, /^almacen issue: missing QTY\n/)
  t.match(
    runs[3].stderr,
    /^almacen adjust: DELTA must be \+ or - and a whole number other than zero/
  )
  t.match(runs[4].stderr, /^almacen count: SKU must be 1-64 letters/)
  t.match(runs[5].stderr, /^almacen stock: unknown option --frob\n/)
  t.equal(runs[6].stderr, 'almacen: there is no command "frob"\nSee \'almacen --help\'.\n')
  t.match(runs[7].stderr, /^almacen add-item: --name is required\n/)
  t.match(runs[8].stderr, /^almacen receive: --key must be 1-200 visible ASCII characters/)
})

t.test('--help reads like a man page, for the client and for each command', async (t) => {
  const [main, receive, version] = await Promise.all([
    almacen(['--help']),
    almacen(['receive', '--help']),
    almacen(['--version']),
  ])
  t.match(main, { code: 0, stdout: /^NAME\n {4}almacen - [\s\S]*EXIT STATUS\n {4}0 +done/ })
  t.match(receive, { code: 0, stdout: /^NAME\n {4}almacen receive - record goods received/ })
  t.match(version, { code: 0, stdout: /^almacen \d+\.\d+\.\d+\n$/ })
})

t.test('the almacen bin runs the client, as npx almacen does', async (t) => {
  const bin = fromRoot('client/almacen.js')
  const child = spawn(bin, ['--help'], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  child.stdout.on('data', (c) => (stdout += c))
  const [code] = await once(child, 'close')
  t.equal(code, 0)
  t.match(stdout, /^NAME\n {4}almacen - /)
})

t.test(
  'the bin runs the built client, and the sources only while the build is missing or older',
  async (t) => {
    // A copy of the package's shape whose two entry points say which of them ran.
    const dir = tempDir(t, 'bin')
    mkdirSync(path.join(dir, 'client/commands'), { recursive: true })
    mkdirSync(path.join(dir, 'dist/client'), { recursive: true })
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'))
    writeFileSync(path.join(dir, 'package.json'), '{ "type": "module" }\n')
    const bin = path.join(dir, 'client/almacen.js')
    copyFileSync(path.join(ROOT, 'client/almacen.js'), bin)
    const source = path.join(dir, 'client/commands/stock.ts')
    writeFileSync(path.join(dir, 'client/main.ts'), "import './commands/stock.ts'\n")
    writeFileSync(source, "const from: string = 'source'\nconsole.log(from)\n")
    const built = path.join(dir, 'dist/client/main.js')
    const age = (file: string, seconds: number) => {
      const when = new Date(Date.now() - seconds * 1000)
      utimesSync(file, when, when)
    }

    t.match(await runNode([bin]), { code: 0, stdout: 'source\n' }, 'not built: from the sources')
    writeFileSync(built, "console.log('built')\n")
    for (const file of [bin, source, path.join(dir, 'client/main.ts')]) age(file, 60)
    t.match(await runNode([bin]), { code: 0, stdout: 'built\n', stderr: '' }, 'built: the build')
    age(built, 120) // a source edited since the build, in a folder of client/
    t.match(await runNode([bin]), { code: 0, stdout: 'source\n' }, 'an older build is not run')
  }
)

t.test('a reader that stops early ends the command quietly, with exit 0', async (t) => {
  const node = await startTestNode(t)
  await seed(node, [{ sku: 'BOLT-M8', name: 'Bolt M8 zinc' }])
  // `almacen items --all --json | head -c 100`, where head has gone before the answer comes.
  const child = clientProcess(node, ['items', '--all', '--json'])
  let stderr = ''
  child.stderr.on('data', (c) => (stderr += c))
  child.stdout.destroy()
  const [code] = await once(child, 'close')
  t.equal(code, 0)
  t.equal(stderr, '', 'no EPIPE, no stack')
})

t.test('take --ack acknowledges nothing its reader did not take', async (t) => {
  const node = await startTestNode(t)
  t.equal((await api(node, 'POST', '/queues', { name: 'orders' })).status, 201)
  for (const order of [1, 2, 3]) {
    await api(node, 'POST', '/queues/orders/messages', { body: { order } })
  }
  // `almacen take orders --max 3 --ack | consumer`, the consumer gone before the messages come.
  const child = clientProcess(node, ['take', 'orders', '--max', '3', '--ack'])
  let stderr = ''
  child.stderr.on('data', (c) => (stderr += c))
  child.stdout.destroy()
  const [code] = await once(child, 'close')
  t.equal(code, 1)
  t.match(stderr, /output was closed before the 3 messages were written: nothing acknowledged/)
  const { body } = await api(node, 'GET', '/queues/orders')
  t.match(body, { inFlight: 3 }, 'taken, not acknowledged: back after the visibility timeout')
})

t.test(
  'a command that fails says so in its exit status, though no one reads its words',
  async (t) => {
    const node = await startTestNode(t)
    await seed(node, [{ sku: 'BOLT-M8', name: 'Bolt M8 zinc' }])
    // `almacen issue BOLT-M8 5 2>&1 | true` in a script with pipefail: nothing on hand to issue.
    const child = clientProcess(node, ['issue', 'BOLT-M8', '5'])
    child.stdout.destroy()
    child.stderr.destroy()
    const [code] = await once(child, 'close')
    t.equal(code, 1, 'refused: 1, as when its words are read')
    t.match(await api(node, 'GET', '/stock/BOLT-M8'), { body: { onHand: 0 } })
  }
)

t.test(
  'without a command and without a terminal, the process says to give a command and exits 2',
  async (t) => {
    const run = await almacenProcess([])
    t.same(run, {
      code: 2,
      stdout: '',
      stderr: "almacen: the menus need a terminal; give a command instead. See 'almacen --help'.\n",
    })
  }
)
