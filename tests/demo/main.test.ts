// `npm run demo` as a person runs it: three warehouses up, joined and seeded, then Ctrl-C (a
// SIGINT to the terminal's foreground group: npm and the script) stops every process it started.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { ROOT } from '../fixtures/root.ts'
import { tempDir } from '../fixtures/temp-dir.ts'
import { api } from '../fixtures/test-node.ts'
import { rememberToken } from '../fixtures/tokens.ts'

/** Every process below `pid` now, from /proc (the nodes, their workers, their helpers). */
function descendants(pid: number): number[] {
  let children: number[] = []
  try {
    const tasks = `/proc/${pid}/task`
    for (const task of readFileSync(`${tasks}/${pid}/children`, 'utf8').trim().split(/\s+/)) {
      if (task) children.push(Number(task))
    }
  } catch {
    children = []
  }
  return children.flatMap((child) => [child, ...descendants(child)])
}

/** Still running (a zombie waiting for its parent counts as gone: it runs nothing). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z'
  } catch {
    return false
  }
}

t.test(
  'npm run demo starts three joined, seeded warehouses, and Ctrl-C stops every process',
  async (t) => {
    const dir = tempDir(t, 'demo')
    const child = spawn('npm', ['run', 'demo', '--', '--data-dir', dir, '--port-base', '0'], {
      cwd: ROOT,
      detached: true, // its own group, as a terminal's foreground job
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_OPTIONS: undefined }, // not tap's loaders
    })
    const group = child.pid as number
    let pids: number[] = []
    // Should the demo fail to stop them, the test does: its group, and each process it saw.
    t.teardown(() => {
      for (const pid of [-group, ...pids.filter(running)]) {
        try {
          process.kill(pid, 'SIGKILL')
        } catch {
          // gone, as it should be
        }
      }
    })
    const exited = once(child, 'close') // after its output, all of it
    let out = ''
    child.stdout.on('data', (chunk) => (out += chunk))
    child.stderr.on('data', (chunk) => (out += chunk))
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no demo within 90 s:\n${out}`)), 90_000)
      child.stdout.on('data', () => {
        if (out.includes('Ctrl-C stops all three.')) resolve(clearTimeout(timer))
      })
      exited.then(() => reject(new Error(`the demo ended early:\n${out}`)))
    })
    const printed = [...out.matchAll(/^ {2}(Madrid|Sevilla|Bilbao) +(http:\S+)/gm)]
    const urls = printed.map((m) => m[2])
    t.equal(urls.length, 3, 'prints the three URLs')
    // Each warehouse's admin token is where the demo says: in its data directory.
    for (const [, name, url] of printed) {
      t.ok(rememberToken(url, path.join(dir, name.toLowerCase())), `${name}'s admin token`)
    }
    t.match(
      out,
      new RegExp(`ALMACEN_DATA_DIR=\\S+ npm run -s client -- --url ${urls[0]} where BOLT-M8`)
    )
    t.match(
      out,
      /Seeded through the REST API: a catalogue of 30 SKUs \(\d+ items across the three warehouses\) and 164 movements/
    )
    t.match(out, /where BOLT-M8/, 'and the commands to try')
    // Two transfers through the client; the second sent while Bilbao was stopped.
    const moved = out.match(/DN-1002 .*\n.*reached Bilbao ([\d.]+) s after/)
    t.ok(moved, 'the transfer sent to a stopped Bilbao reached it once it was back')
    const story = out.match(/receive-transfer (\S+)/)
    const waiting = await api({ url: urls[2] }, 'GET', `/transfers/${story?.[1]}`)
    t.match(waiting.body, { state: 'announced', reference: 'DN-1002', peerName: 'Madrid' })
    const first = await api({ url: urls[0] }, 'GET', '/transfers?direction=out&state=closed')
    t.match(first.body.transfers, [{ reference: 'DN-1001', outcome: 'delivered' }])

    const where = await api({ url: urls[0] }, 'GET', '/network/stock/BOLT-M8')
    t.match(where.body, { complete: true, counts: { total: 3, live: 3 } })
    const cable = await api({ url: urls[1] }, 'GET', '/network/stock/CABLE-2.5')
    t.match(cable.body, { unitsDiffer: true }, 'one SKU counted in two units, not added')
    const items = await api({ url: urls[2] }, 'GET', '/items?limit=500')
    t.ok(items.body.items.length >= 24, `${items.body.items.length} items in Bilbao`)

    pids = [group, ...descendants(group)]
    t.ok(pids.length >= 8, `${pids.length} processes: npm, the script, 3 nodes, 3 workers`)
    // Bilbao stopped from outside, as the new user did: the demo says so, and goes on.
    const bilbao = Number(out.match(/kill -STOP (\d+)/)?.[1])
    process.kill(bilbao, 'SIGTERM')
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`Bilbao's stop not said:\n${out}`)), 20_000)
      const look = () => {
        if (!out.includes('Bilbao stopped (')) return
        child.stdout.off('data', look)
        resolve(clearTimeout(timer))
      }
      child.stdout.on('data', look)
      look()
    })
    t.match(out, /Bilbao stopped \((SIGTERM|exit code 0)\); the other warehouses go on/)
    process.kill(-group, 'SIGINT')
    let timer: NodeJS.Timeout | undefined
    const [code, signal] = await Promise.race([
      exited,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`not stopped in 30 s:\n${out}`)), 30_000)
      }),
    ]).finally(() => clearTimeout(timer)) // a pending timer would hold the test open for 30 s
    // npm waits for the script, then ends by the signal it got, as a Ctrl-C'd program does.
    t.ok(code === 0 || signal === 'SIGINT', `npm run demo ended (${code ?? signal})`)
    t.match(out, 'Stopped: every node left the network and exited.')
    t.same(pids.filter(running), [], 'no process left behind')
  }
)
