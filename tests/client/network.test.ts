import t from 'tap'
import {
  membersTable,
  nameOf,
  networkSummary,
  type Network,
  type NetworkMember,
} from '../../client/network.ts'

const now = Date.parse('2026-11-22T10:00:00.000Z')
const before = (ms: number) => new Date(now - ms).toISOString()

function member(name: string, extra: Partial<NetworkMember> = {}): NetworkMember {
  return {
    id: name.toLowerCase(),
    name,
    address: `http://${name.toLowerCase()}.example:8080`,
    state: 'alive',
    incarnation: 0,
    stateChangedAt: before(60_000),
    evidenceAt: null,
    self: false,
    lastHeardAt: before(400),
    rttMs: 1.25,
    problem: null,
    ...extra,
  }
}

const network: Network = {
  self: 'madrid',
  participating: true,
  clusterKey: true,
  members: [
    member('Bilbao', { state: 'failed', lastHeardAt: before(3 * 60_000), rttMs: 12 }),
    member('Madrid', { self: true, lastHeardAt: null, rttMs: null, incarnation: 2 }),
    member('Sevilla', { state: 'suspect', lastHeardAt: null, rttMs: null }),
    member('Vigo'),
  ],
}

t.test(
  'the members table marks this node and reads last heard as an age, round trips in ms',
  async (t) => {
    t.equal(
      membersTable(network.members, Infinity, now),
      [
        'NAME                STATE    ADDRESS                      LAST HEARD  ROUND TRIP  INCARNATION',
        'Bilbao              failed   http://bilbao.example:8080   3 min ago      12.0 ms            0',
        'Madrid (this node)  alive    http://madrid.example:8080                                     2',
        'Sevilla             suspect  http://sevilla.example:8080  never                             0',
        'Vigo                alive    http://vigo.example:8080     0.4 s ago       1.3 ms            0',
      ].join('\n')
    )
  }
)

t.test('a narrow terminal shortens the addresses, not the states', async (t) => {
  const lines = membersTable(network.members, 80, now).split('\n')
  t.ok(
    lines.every((l) => l.length <= 80),
    'fits 80 columns'
  )
  t.match(lines[1], /^Bilbao +failed +http:\/\/bilb\S*… +3 min ago/)
})

t.test('the summary counts members by state, in the order of the protocol', async (t) => {
  t.same(networkSummary(network), ['4 members: 2 alive, 1 suspect, 1 failed'])
})

t.test('a node that left is told how to take part again', async (t) => {
  const left = {
    ...network,
    participating: false,
    members: [member('Madrid', { self: true, state: 'left' }), member('Vigo')],
  }
  t.same(networkSummary(left), [
    '2 members: 1 alive, 1 left',
    'This node has left the network; join to take part again.',
  ])
})

t.test('a node on its own is told how a network forms, with its own address', async (t) => {
  const alone = { ...network, members: [member('Madrid', { self: true })] }
  t.same(networkSummary(alone), [
    '1 member: 1 alive',
    "No other node yet: join a network, or give other warehouses this node's address, http://madrid.example:8080.",
  ])
})

t.test(
  'a member is named by its name in sentences, or by its id once no longer listed',
  async (t) => {
    t.equal(nameOf(network, 'vigo'), 'Vigo')
    t.equal(nameOf(network, 'gone-id'), 'gone-id')
  }
)
