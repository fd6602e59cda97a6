// `npm start` as Docker, pm2 or a terminal runs it: the signal goes to npm (or to the whole
// process group, for Ctrl-C), and must reach the node, which leaves the network and exits.
import { existsSync } from 'node:fs'
import t from 'tap'
import { alive } from '../../lib/processes.ts'
import {
  BUILT_MAIN,
  CLUSTER_KEY,
  startProcess,
  until,
  type NodeProcess,
} from '../fixtures/node-process.ts'
import { tempDir } from '../fixtures/temp-dir.ts'
import { api } from '../fixtures/test-node.ts'

const env = { ALMACEN_CLUSTER_KEY: CLUSTER_KEY }

/** npm, the node it started and the node's worker. */
function processTree(started: NodeProcess): Record<string, number> {
  const pidOf = (msg: string, field: string) =>
    started.lines.find((l) => l.msg === msg)?.[field] as number
  return {
    npm: started.child.pid as number,
    node: pidOf('almacen starting', 'pid'),
    worker: pidOf('database worker ready', 'workerPid'),
  }
}

t.test(
  'a signal to npm start (or to its group) stops the whole tree, and the peers see a leave',
  { skip: !existsSync(BUILT_MAIN) && 'run `npm run build` first' },
  async (t) => {
    const a = await startProcess(t, ['--port', '0', '--data-dir', tempDir(t), '--name', 'A'], env)
    const stateOf = async (name: string) =>
      (await api(a, 'GET', '/members')).body.members.find((m: { name: string }) => m.name === name)
        ?.state

    for (const [name, how] of [
      ['X', 'SIGTERM to the npm process'],
      ['Y', 'SIGINT to the process group (Ctrl-C)'],
    ]) {
      const node = await startProcess(
        t,
        ['--port', '0', '--data-dir', tempDir(t), '--name', name, '--join', a.url],
        env,
        { npm: true, detached: true }
      )
      const tree = processTree(node)
      t.ok(
        Object.values(tree).every((pid) => pid > 0 && alive(pid)),
        `${name}: npm, node and worker run`
      )
      await until(async () => (await stateOf(name)) === 'alive', 8000, `${name} joined`)

      if (name === 'X') process.kill(tree.npm, 'SIGTERM')
      else process.kill(-tree.npm, 'SIGINT') // npm passes it on: the node gets it twice
      await until(
        () => Object.values(tree).every((pid) => !alive(pid)),
        10_000,
        `${how}: every process of the tree is gone`
      )
      t.pass(`${how}: npm, node and worker are gone`)
      t.ok(
        node.lines.some((l) => l.msg === 'stopped'),
        'the node stopped cleanly'
      )
      t.notOk(
        node.lines.some((l) => l.msg === 'second signal: exiting now'),
        'one Ctrl-C is one stop, though it arrives twice'
      )
      t.equal(await stateOf(name), 'left', `A sees ${name} as left, not failed`)
    }
  }
)
