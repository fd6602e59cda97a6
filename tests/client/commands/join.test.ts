// Network › Join a network and `almacen join`, against real nodes that share a cluster key.
import t from 'tap'
import { joinNetwork } from '../../../client/commands/join.ts'
import { runAction } from '../../../client/menu-loop.ts'
import { MENUS } from '../../../client/menus.ts'
import {
  CTRL_C,
  almacen,
  closedPort,
  session,
  startPeer,
  statesSeenBy,
  untilSeen,
} from '../../fixtures/client-kit.ts'
import { droppingProxy } from '../../fixtures/dropping-proxy.ts'

const action = MENUS.find((m) => m.key === 'network')!.actions.find((a) => a.key === 'join')!

t.test(
  'Join a network checks the addresses, shows the outcome of each, and the network forms',
  async (t) => {
    const [madrid, sevilla] = await Promise.all([startPeer(t, 'Madrid'), startPeer(t, 'Sevilla')])
    const nobody = await closedPort()
    const s = session(sevilla.url, ['10.0.0.2:8080', `${madrid.url} ${nobody}`])
    await joinNetwork(s.io)
    t.same(s.unused(), [])
    t.match(
      s.output(),
      'The addresses must each be an http(s) URL such as http://10.0.0.2:8080; "10.0.0.2:8080" is not'
    )
    const width = Math.max(madrid.url.length, nobody.length)
    t.match(
      s.output(),
      `✔ ${madrid.url.padEnd(width)}  joined\n✖ ${nobody.padEnd(width)}  did not answer as a member of this network`
    )
    t.match(
      s.output(),
      'Joined the network: this node knows 1 other member now (Madrid). Network › Members shows how each is doing.'
    )
    await untilSeen(madrid, { Madrid: 'alive', Sevilla: 'alive' }, 'Madrid sees Sevilla alive')
  }
)

t.test("a join that reaches nobody shows the node's message and joins nothing", async (t) => {
  const sevilla = await startPeer(t, 'Sevilla')
  const nobody = await closedPort()
  const s = session(sevilla.url, [nobody])
  await runAction(s.io, action)
  t.same(s.unused(), [])
  t.match(
    s.lines.at(-1),
    `✖ Could not join through any of them (${nobody}: did not answer as a member of this network)`
  )
  t.same(await statesSeenBy(sevilla), { Sevilla: 'alive' })
})

t.test('Ctrl-C at the address goes back without sending anything', async (t) => {
  const s = session(await closedPort(), [CTRL_C]) // a node that is down: sending would show
  await runAction(s.io, action)
  t.same(s.unused(), [])
  t.match(s.lines.at(-1), 'Cancelled')
  t.notMatch(s.output(), /Cannot reach/)
})

t.test('almacen join prints each outcome and exits 0 when one address answered', async (t) => {
  const [madrid, sevilla] = await Promise.all([startPeer(t, 'Madrid'), startPeer(t, 'Sevilla')])
  const run = await almacen(['join', madrid.url, '--url', sevilla.url])
  t.same(run, {
    code: 0,
    stdout:
      `✔ ${madrid.url}  joined\n` +
      "Joined the network: this node knows 1 other member now (Madrid). 'almacen members' shows how each is doing.\n",
    stderr: '',
  })
  await untilSeen(madrid, { Sevilla: 'alive' }, 'Madrid sees Sevilla alive')
})

t.test(
  "almacen join through an address where nothing listens exits 1 with the node's message",
  async (t) => {
    const sevilla = await startPeer(t, 'Sevilla')
    const nobody = await closedPort()
    t.same(await almacen(['join', nobody, '--url', sevilla.url]), {
      code: 1,
      stdout: '',
      stderr: `almacen: Could not join through any of them (${nobody}: did not answer as a member of this network) (PEER_UNREACHABLE)\n`,
    })
    const json = await almacen(['join', nobody, '--json', '--url', sevilla.url])
    t.same([json.code, json.stdout], [1, ''])
    t.match(JSON.parse(json.stderr), {
      status: 502,
      code: 'PEER_UNREACHABLE',
      details: [
        { address: nobody, ok: false, reason: 'did not answer as a member of this network' },
      ],
    })
  }
)

t.test('almacen join without a URL, or with one that is not http(s), sends nothing', async (t) => {
  const down = await closedPort() // had anything been sent, the exit would be 3
  t.same(await almacen(['join', '--url', down]), {
    code: 2,
    stdout: '',
    stderr:
      "almacen join: missing URL\nusage: almacen join URL [URL…]\nSee 'almacen join --help'.\n",
  })
  t.match(await almacen(['join', 'http://10.0.0.2:8080', '10.0.0.3:8080', '--url', down]), {
    code: 2,
    stderr:
      /^almacen join: URL must be an http\(s\) URL such as http:\/\/10\.0\.0\.2:8080, not "10\.0\.0\.3:8080"\n/,
  })
})

t.test(
  'a join whose answer is lost exits 3 without pointing at a --key, and is safe to repeat',
  async (t) => {
    const [madrid, sevilla] = await Promise.all([startPeer(t, 'Madrid'), startPeer(t, 'Sevilla')])
    const proxy = await droppingProxy(t, sevilla.url, (req) => req.method === 'POST')
    t.same(await almacen(['join', madrid.url, '--url', proxy.url, '--timeout', '2']), {
      code: 3,
      stdout: '',
      stderr: `almacen: Cannot reach the almacen node at ${proxy.url} (connection closed before the answer). Is it running? (npm start)\n`,
    })
    const sent = proxy.seen.filter((r) => r.method === 'POST')
    t.ok(sent.length > 1, 'tried again until --timeout')
    t.ok(
      sent.every((r) => r.key === undefined),
      'no try with an Idempotency-Key (the node keeps none for membership)'
    )
    t.match(await almacen(['join', madrid.url, '--url', sevilla.url]), { code: 0 })
    await untilSeen(madrid, { Sevilla: 'alive' }, 'Madrid sees Sevilla alive')
  }
)
