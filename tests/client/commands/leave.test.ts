// Network › Leave the network and `almacen leave`, against real nodes that share a cluster key.
import t from 'tap'
import type { Api } from '../../../client/api.ts'
import { leave, leaveNetwork } from '../../../client/commands/leave.ts'
import { runOneShot, type Streams } from '../../../client/one-shot.ts'
import {
  almacen,
  closedPort,
  inject,
  session,
  startNetwork,
  statesSeenBy,
  untilSeen,
} from '../../fixtures/client-kit.ts'
import { api } from '../../fixtures/test-node.ts'
import { tokenOf } from '../../fixtures/tokens.ts'

const participating = async (node: { url: string }) =>
  (await api(node, 'GET', '/members')).body.participating

const STAYS_OUT =
  'It keeps serving its own stock, and stays out, even after a restart, until it joins again.'

t.test(
  'Leave the network says what it means, asks with No as the default, and only then leaves',
  async (t) => {
    const [madrid, sevilla] = await startNetwork(t, ['Madrid', 'Sevilla'])
    const explained = `Leaving takes this warehouse out of the peer network: Madrid is told and will show it as left. ${STAYS_OUT}`

    const declined = session(sevilla.url, [undefined]) // Enter: the default
    await leaveNetwork(declined.io)
    t.same(declined.unused(), [])
    t.same(declined.lines, [explained, 'Nothing done: this node is still in the network.'])
    t.equal(await participating(sevilla), true)
    t.same(await statesSeenBy(madrid), { Madrid: 'alive', Sevilla: 'alive' })

    const confirmed = session(sevilla.url, [true])
    await leaveNetwork(confirmed.io)
    t.same(confirmed.unused(), [])
    t.same(confirmed.lines, [explained, '✔ Left the network: 1 of 1 member acknowledged.'])
    t.equal(await participating(sevilla), false)
    // Acknowledged means Madrid has committed it: no waiting needed.
    t.same(await statesSeenBy(madrid), { Madrid: 'alive', Sevilla: 'left' })

    const again = session(sevilla.url, [])
    await leaveNetwork(again.io)
    t.same(again.unused(), [], 'nothing asked')
    t.same(again.lines, [
      'This node has already left the network; nothing to do. Network › Join a network takes it back in.',
    ])
  }
)

t.test('members the leave did not reach are named', async (t) => {
  // A member that misses the leave cannot be arranged between real nodes on cue: the node's
  // answers are faked.
  const s = session('http://127.0.0.1:9', [true])
  const member = (id: string, name: string, self = false) => ({ id, name, self, state: 'alive' })
  s.io.api = {
    get: async () => ({
      self: 'me',
      participating: true,
      members: [member('a', 'Bilbao'), member('me', 'Madrid', true), member('b', 'Vigo')],
    }),
    post: async () => ({ left: true, alreadyLeft: false, acknowledgedBy: ['a'], missed: ['b'] }),
  } as unknown as Api
  await leaveNetwork(s.io)
  t.match(s.output(), 'Bilbao and Vigo are told and will show it as left.')
  t.same(s.lines.slice(-2), [
    '✔ Left the network: 1 of 2 members acknowledged.',
    '✖ Not reached in time: Vigo. It learns of the leave from the others, or when it next reaches this node.',
  ])
})

t.test(
  'almacen leave without --yes in a script refuses with exit 2 and sends nothing',
  async (t) => {
    const [madrid, sevilla] = await startNetwork(t, ['Madrid', 'Sevilla'])
    t.same(await almacen(['leave', '--url', sevilla.url]), {
      code: 2,
      stdout: '',
      stderr:
        'almacen leave: leaving the network needs confirmation: pass --yes (nothing was sent)\n' +
        "usage: almacen leave [--yes]\nSee 'almacen leave --help'.\n",
    })
    const json = await almacen(['leave', '--json', '--url', sevilla.url])
    t.same([json.code, json.stdout], [2, ''])
    t.match(JSON.parse(json.stderr), { code: 'USAGE', error: /pass --yes/ })
    t.equal(await participating(sevilla), true)
    t.same(await statesSeenBy(madrid), { Madrid: 'alive', Sevilla: 'alive' })
  }
)

t.test(
  'almacen leave --yes leaves and says who acknowledged; join takes the node back',
  async (t) => {
    const [madrid, sevilla] = await startNetwork(t, ['Madrid', 'Sevilla'])
    t.same(await almacen(['leave', '--yes', '--url', sevilla.url]), {
      code: 0,
      stdout: `✔ Left the network: 1 of 1 member acknowledged. ${STAYS_OUT}\n`,
      stderr: '',
    })
    t.same(await statesSeenBy(madrid), { Madrid: 'alive', Sevilla: 'left' })
    t.same(await almacen(['leave', '--yes', '--url', sevilla.url]), {
      code: 0,
      stdout:
        "This node has already left the network; nothing to do. 'almacen join URL' takes it back in.\n",
      stderr: '',
    })
    t.equal((await almacen(['join', madrid.url, '--url', sevilla.url])).code, 0)
    await untilSeen(madrid, { Sevilla: 'alive' }, 'Madrid sees Sevilla back')
    t.equal(await participating(sevilla), true)

    const json = await almacen(['leave', '--yes', '--json', '--url', sevilla.url])
    t.same([json.code, json.stderr], [0, ''])
    t.same(JSON.parse(json.stdout), {
      left: true,
      alreadyLeft: false,
      acknowledgedBy: [madrid.identity.id],
      missed: [],
    })
  }
)

/** `almacen leave` typed at a terminal: stdin is a TTY, output recorded. */
async function atTerminal(url: string, answers: unknown[]) {
  const unused = inject(answers)
  let stdout = ''
  let stderr = ''
  const streams = {
    stdin: { isTTY: true },
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
  } as unknown as Streams
  const settings = { url, json: false, timeoutMs: 10_000, token: tokenOf(url) }
  const code = await runOneShot(leave, { positionals: [], values: {} }, settings, streams)
  return { code, stdout, stderr, unused: unused() }
}

t.test('almacen leave at a terminal asks first: no exits 1 and stays, yes leaves', async (t) => {
  const [madrid, sevilla] = await startNetwork(t, ['Madrid', 'Sevilla'])
  const no = await atTerminal(sevilla.url, [false])
  t.equal(no.code, 1)
  t.match(no.stdout, /^Leaving takes this warehouse out of the peer network: Madrid is told/)
  t.match(no.stdout, /Nothing done: this node is still in the network.\n$/)
  t.equal(await participating(sevilla), true)

  const yes = await atTerminal(sevilla.url, [true])
  t.equal(yes.code, 0)
  t.match(yes.stdout, /\n✔ Left the network: 1 of 1 member acknowledged.\n$/)
  t.same(await statesSeenBy(madrid), { Madrid: 'alive', Sevilla: 'left' })
})

t.test('almacen leave against a node that is down exits 3', async (t) => {
  const down = await closedPort()
  t.match(await almacen(['leave', '--yes', '--url', down, '--timeout', '1']), {
    code: 3,
    stdout: '',
    stderr: /^almacen: Cannot reach the almacen node at /,
  })
})
