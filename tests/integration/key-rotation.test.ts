// Rotating the cluster key on a live network of real nodes (each its own processes, reached
// through a link): install, use, remove, with every member taking every other's requests at each
// step; the steps that could split the network wait for every member; a member killed meanwhile
// is named, and the steps asked again once it is back.
import { readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import t from 'tap'
import {
  HttpTransport,
  Keyring,
  KEYRING_FILE,
  signingKey,
  STOCK_EXCHANGE,
} from '../../network/index.ts'
import { CLUSTER_KEY, until } from '../fixtures/node-process.ts'
import { api } from '../fixtures/test-node.ts'
import {
  allAlive,
  kill,
  node,
  start,
  stock,
  warehouses,
  type Warehouse,
} from '../fixtures/warehouses.ts'

const OLD = signingKey(CLUSTER_KEY).id

async function network(t: Parameters<typeof warehouses>[0]) {
  const ws = await warehouses(t, ['Madrid', 'Norte', 'Sur'])
  const [madrid, ...rest] = ws
  await start(t, madrid)
  await Promise.all(rest.map((w) => start(t, w, [madrid])))
  await allAlive(ws)
  return ws
}

/** Each member's incarnation as `w` sees it: a member that had to refute a suspicion has a higher one. */
async function incarnations(w: Warehouse): Promise<Record<string, number>> {
  const { body } = await api(node(w), 'GET', '/members')
  return Object.fromEntries(
    body.members.map((m: { name: string; incarnation: number }) => [m.name, m.incarnation])
  )
}

/** Asks `w` for its stock over the peer route, signing with `secret`. */
async function askWith(t: Parameters<typeof warehouses>[0], secret: string, w: Warehouse) {
  const transport = new HttpTransport({ keys: Keyring.of(secret), selfId: 'asker' })
  t.teardown(() => transport.close())
  return transport.call({
    kind: STOCK_EXCHANGE,
    address: node(w).url,
    to: w.id as string,
    body: { all: true },
    timeoutMs: 5000,
  })
}

t.test(
  'a rotation on a live network: no member ever refuses another, and the old key is refused after',
  async (t) => {
    const ws = await network(t)
    const [madrid, norte, sur] = ws
    await stock(madrid, ['BOLT-M8'], 100)
    const before = await incarnations(madrid)

    t.match((await api(node(madrid), 'GET', '/keys')).body, {
      keys: [{ id: OLD, installedOn: 3, primaryOn: 3 }],
      asked: 3,
      answered: 3,
    })
    const installed = await api(node(madrid), 'POST', '/keys', { generate: true })
    t.equal(installed.status, 200, JSON.stringify(installed.body))
    const { id: NEW, generated } = installed.body
    t.match(generated, /^[\w-]{43}$/, 'a key of 256 random bits, shown once')
    t.match(installed.body.keys, [
      { id: OLD, installedOn: 3, primaryOn: 3 },
      { id: NEW, installedOn: 3, primaryOn: 0 },
    ])
    t.match(await api(node(norte), 'DELETE', `/keys/${OLD}`), {
      status: 409,
      body: {
        code: 'KEY_IN_USE',
        error: /still signs on (\w+, ){2}\w+: make another key primary first/,
      },
    })

    const used = await api(node(norte), 'POST', `/keys/${NEW}/use`)
    t.equal(used.status, 200, JSON.stringify(used.body))
    t.match(used.body.keys, [
      { id: OLD, installedOn: 3, primaryOn: 0 },
      { id: NEW, installedOn: 3, primaryOn: 3 },
    ])
    // Traffic under the new key: a transfer crosses and is seen at the other side.
    const sent = await api(node(madrid), 'POST', '/transfers', {
      to: 'Sur',
      lines: [{ sku: 'BOLT-M8', quantity: 10 }],
    })
    t.equal(sent.status, 201, JSON.stringify(sent.body))
    await until(
      async () => (await api(node(sur), 'GET', `/transfers/${sent.body.id}`)).status === 200,
      20_000,
      'the dispatch reaches Sur under the new key'
    )

    const removed = await api(node(sur), 'DELETE', `/keys/${OLD}`)
    t.equal(removed.status, 200, JSON.stringify(removed.body))
    t.same(removed.body.keys, [{ id: NEW, installedOn: 3, primaryOn: 3 }])

    for (const w of ws) {
      t.match(
        await askWith(t, CLUSTER_KEY, w),
        { ok: false, reason: 'bogus', message: /401 UNAUTHENTICATED/ },
        `${w.name} refuses the old key`
      )
      t.match(await askWith(t, generated, w), { ok: true }, `${w.name} takes the new key`)
      const file = path.join(w.dir, KEYRING_FILE)
      t.equal(statSync(file).mode & 0o777, 0o600, `${w.name}'s keyring is private`)
      t.same(JSON.parse(readFileSync(file, 'utf8')), { primary: NEW, keys: [generated] })
    }
    await allAlive(ws)
    t.same(await incarnations(madrid), before, 'no member was ever suspected: none had to refute')

    // Norte restarted with the old key still in its environment: its keyring wins, and says so.
    await kill(norte)
    const again = await start(t, norte, [madrid])
    await allAlive(ws)
    t.ok(
      again.lines.some((l) => /ALMACEN_CLUSTER_KEY is not in .*which wins/.test(String(l.msg))),
      'the log says the keyring wins over the environment'
    )
  }
)

t.test(
  'the steps that could split the network wait for every member; a killed member is named, then the steps are asked again',
  async (t) => {
    const ws = await network(t)
    const [madrid, , sur] = ws
    const NEW_KEY = 'a-new-cluster-key-for-the-network'
    const NEW = signingKey(NEW_KEY).id

    await kill(sur)
    const installed = await api(node(madrid), 'POST', '/keys', { key: NEW_KEY })
    t.equal(installed.status, 200, 'installed where it could be')
    t.match(installed.body, {
      id: NEW,
      keys: [
        { id: OLD, installedOn: 2 },
        { id: NEW, installedOn: 2 },
      ],
      answered: 2,
      members: [{ name: 'Madrid', self: true }, { name: 'Norte' }, { name: 'Sur', keys: null }],
    })
    t.notOk('generated' in installed.body, 'a key given is never shown back')
    const refused = await api(node(madrid), 'POST', `/keys/${NEW}/use`)
    t.match(refused, {
      status: 409,
      body: { code: 'KEY_NOT_EVERYWHERE', error: /Key [0-9a-f]{16} cannot sign yet: Sur \(/ },
    })
    t.match(
      (await api(node(madrid), 'GET', '/keys')).body.keys,
      [
        { id: OLD, primaryOn: 2 },
        { id: NEW, primaryOn: 0 },
      ],
      'nothing changed'
    )

    await start(t, sur, [madrid])
    await allAlive(ws)
    const again = await api(node(madrid), 'POST', '/keys', { key: NEW_KEY })
    t.match(
      again.body.keys,
      [
        { id: OLD, installedOn: 3 },
        { id: NEW, installedOn: 3 },
      ],
      `installed everywhere: ${JSON.stringify(again.body.members)}`
    )
    t.equal((await api(node(madrid), 'POST', `/keys/${NEW}/use`)).status, 200)
    t.equal((await api(node(madrid), 'DELETE', `/keys/${OLD}`)).status, 200)
    await allAlive(ws)
    t.match((await api(node(sur), 'GET', '/keys')).body, {
      keys: [{ id: NEW, installedOn: 3, primaryOn: 3 }],
      answered: 3,
    })
  }
)

t.test('bad requests change nothing and say why', async (t) => {
  const [madrid] = await network(t)
  const cases: [string, string, unknown, RegExp][] = [
    ['POST', '/keys', { key: 'short' }, /at least 16 characters/],
    ['POST', '/keys', { key: 'long-enough-cluster-key', generate: true }, /not both/],
    ['POST', '/keys', {}, /give the key/],
    ['POST', '/keys/not-hex/use', undefined, /16 hex digits/],
    ['DELETE', '/keys/XYZ', undefined, /16 hex digits/],
  ]
  for (const [method, route, body, error] of cases) {
    t.match(await api(node(madrid), method, route, body), { status: 400, body: { error } }, route)
  }
  t.match(await api(node(madrid), 'POST', '/keys/0123456789abcdef/use'), {
    status: 409,
    body: { code: 'KEY_NOT_EVERYWHERE', error: /Madrid does not hold it/ },
  })
  t.match((await api(node(madrid), 'GET', '/keys')).body.keys, [
    { id: OLD, installedOn: 3, primaryOn: 3 },
  ])
})

t.test(
  'after a leak: the new key installed on each node through its own API, never sent to a member',
  async (t) => {
    const ws = await network(t)
    const [madrid, norte, sur] = ws
    const first = await api(node(madrid), 'POST', '/keys', { generate: true, here: true })
    t.equal(first.status, 200, JSON.stringify(first.body))
    const { id: NEW, generated } = first.body
    t.match(
      first.body.keys,
      [
        { id: OLD, installedOn: 3 },
        { id: NEW, installedOn: 1, primaryOn: 0 },
      ],
      'on Madrid alone: no member was sent it (sealed under the leaked key)'
    )
    t.match(await api(node(norte), 'POST', `/keys/${NEW}/use`), {
      status: 409,
      body: { code: 'KEY_NOT_EVERYWHERE' },
    })
    for (const w of [norte, sur]) {
      const put = await api(node(w), 'POST', '/keys', { key: generated, here: true })
      t.equal(put.status, 200, `${w.name}: ${JSON.stringify(put.body)}`)
    }
    const used = await api(node(sur), 'POST', `/keys/${NEW}/use`)
    t.match(used.body.keys, [
      { id: OLD, installedOn: 3, primaryOn: 0 },
      { id: NEW, installedOn: 3, primaryOn: 3 },
    ])
    const removed = await api(node(norte), 'DELETE', `/keys/${OLD}`)
    t.same(removed.body.keys, [{ id: NEW, installedOn: 3, primaryOn: 3 }])
    for (const w of ws) {
      t.match(await askWith(t, CLUSTER_KEY, w), { ok: false }, `${w.name} refuses the leaked key`)
      t.match(await askWith(t, generated, w), { ok: true }, `${w.name} takes the new key`)
    }
    await allAlive(ws)
  }
)
