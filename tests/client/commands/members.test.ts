// Network › Members and `almacen members`, against real nodes that share a cluster key.
import t from 'tap'
import { networkMembers } from '../../../client/commands/members.ts'
import { almacen, session, startNetwork, startPeer } from '../../fixtures/client-kit.ts'
import { api } from '../../fixtures/test-node.ts'

t.test(
  'Members lists every node with its state, when last heard and its round trip, this node marked',
  async (t) => {
    const [madrid, sevilla] = await startNetwork(t, ['Madrid', 'Sevilla'])
    const s = session(madrid.url, [])
    await networkMembers(s.io)
    t.same(s.unused(), [])
    const [table, summary] = s.lines
    t.match(table, /^NAME +STATE +ADDRESS +LAST HEARD +ROUND TRIP +INCARNATION$/m)
    t.match(table, new RegExp(`^Madrid \\(this node\\) +alive +${madrid.url} +0$`, 'm'))
    t.match(
      table,
      new RegExp(`^Sevilla +alive +${sevilla.url} +\\d+(\\.\\d)? s ago +\\d+\\.\\d ms +0$`, 'm')
    )
    t.equal(summary, '2 members: 2 alive')
    t.equal(s.lines.length, 2, 'nothing else: this node takes part')
  }
)

t.test('a node on its own says how a network forms, and one that left says so', async (t) => {
  const madrid = await startPeer(t, 'Madrid')
  const alone = session(madrid.url, [])
  await networkMembers(alone.io)
  t.same(alone.lines.slice(1), [
    '1 member: 1 alive',
    `No other node yet: join a network, or give other warehouses this node's address, ${madrid.url}.`,
  ])
  t.equal((await api(madrid, 'POST', '/members/leave')).status, 200)
  const left = session(madrid.url, [])
  await networkMembers(left.io)
  t.match(left.lines[0], /^Madrid \(this node\) +left /m)
  t.same(left.lines.slice(1), [
    '1 member: 1 left',
    'This node has left the network; join to take part again.',
  ])
})

t.test(
  "almacen members prints the table on stdout and the summary on stderr; --json the node's JSON",
  async (t) => {
    const [madrid, sevilla] = await startNetwork(t, ['Madrid', 'Sevilla'])
    const run = await almacen(['members', '--url', sevilla.url])
    t.equal(run.code, 0)
    t.match(
      run.stdout,
      new RegExp(
        `^NAME +STATE .*\\nMadrid +alive +${madrid.url} .* ms +0\\nSevilla \\(this node\\) +alive +${sevilla.url} +0\\n$`
      )
    )
    t.equal(run.stderr, '2 members: 2 alive\n')
    const json = await almacen(['members', '--json', '--url', sevilla.url])
    t.same([json.code, json.stderr], [0, ''])
    t.match(JSON.parse(json.stdout), {
      self: sevilla.identity.id,
      participating: true,
      members: [
        { name: 'Madrid', state: 'alive', self: false, rttMs: Number },
        { name: 'Sevilla', state: 'alive', self: true, lastHeardAt: null },
      ],
    })
  }
)
