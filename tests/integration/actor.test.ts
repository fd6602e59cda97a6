// Every ledger row records who made it, under its hash: the user whose token the request carried,
// the peer whose message made it, or the node itself; a replica keeps it, and a changed name
// breaks the chain.
import t from 'tap'
import { SYSTEM_ACTOR } from '../../api/access.ts'
import { hashMovement } from '../../db/ledger/hash.ts'
import { SYSTEM } from '../../db/ledger/post.ts'
import { startNetwork } from '../fixtures/client-kit.ts'
import { until } from '../fixtures/node-process.ts'
import { api } from '../fixtures/test-node.ts'

const tokenFor = async (node: { url: string }, name: string, role: string) => {
  await api(node, 'POST', '/users', { name, role })
  const made = await api(node, 'POST', '/tokens', { user: name, name: 'test' })
  return { authorization: `Bearer ${made.body.token}` }
}

t.test(
  'a row names who made it: a user, a peer or the node, in its ledger and in replicas',
  async (t) => {
    const [madrid, norte] = await startNetwork(t, ['Madrid', 'Norte'])
    const ana = await tokenFor(madrid, 'ana', 'operator')
    // The node's own rows are "system": no user may take that name and pass for the node.
    t.equal(SYSTEM_ACTOR, SYSTEM, 'the name the API keeps is the one the ledger writes')
    t.match(await api(madrid, 'POST', '/users', { name: 'system', role: 'operator' }), {
      status: 400,
      body: { code: 'VALIDATION_FAILED', error: /"system" is how the ledger names the node's own/ },
    })
    const users = (await api(madrid, 'GET', '/users')).body.users as { name: string }[]
    t.notOk(
      users.some((u) => u.name === 'system'),
      'and none was made'
    )
    const luis = await tokenFor(norte, 'luis', 'operator')
    await api(madrid, 'POST', '/items', { sku: 'BOLT-M8', name: 'Bolt', unit: 'ea' })
    const receipt = await api(
      madrid,
      'POST',
      '/movements',
      { type: 'receipt', sku: 'BOLT-M8', quantity: 50 },
      ana
    )
    t.match(receipt.body, { seq: 1, actor: 'ana' })
    const sent = await api(
      madrid,
      'POST',
      '/transfers',
      { to: 'Norte', lines: [{ sku: 'BOLT-M8', quantity: 20 }], reference: 'DN-7' },
      ana
    )
    t.equal(sent.status, 201)
    await until(
      async () => (await api(norte, 'GET', `/transfers/${sent.body.id}`)).status === 200,
      20_000,
      'the dispatch reaches Norte'
    )
    const got = await api(
      norte,
      'POST',
      `/transfers/${sent.body.id}/receive`,
      { lines: [{ sku: 'BOLT-M8', received: 20 }], final: true },
      luis
    )
    t.equal(got.status, 200, JSON.stringify(got.body))
    const atNorte = await api(norte, 'GET', '/movements?order=asc')
    t.match(atNorte.body.movements, [{ type: 'transfer_in', actor: 'luis' }])
    const atMadrid = await api(madrid, 'GET', '/movements?order=asc')
    t.match(atMadrid.body.movements, [
      { type: 'receipt', actor: 'ana' },
      { type: 'transfer_out', actor: 'ana' },
    ])

    // Norte's replica of Madrid's ledger holds the same rows, names and all, and verifies.
    const madridId = madrid.identity.id
    await until(
      async () =>
        (await api(norte, 'GET', `/replicas/${madridId}`)).body?.cursor?.ledger?.seq === 2,
      20_000,
      "Norte's replica has Madrid's two rows"
    )
    const replica = await api(norte, 'GET', `/replicas/${madridId}/movements?order=asc`)
    t.match(replica.body.movements, [{ actor: 'ana' }, { actor: 'ana' }])
    t.match((await api(norte, 'POST', `/replicas/${madridId}/verify`)).body, { ok: true })
  }
)

t.test(
  'the name is hashed: another name is another hash; rows from before keep theirs',
  async (t) => {
    const row = {
      prevHash: '0'.repeat(64),
      seq: 1,
      type: 'receipt',
      sku: 'BOLT-M8',
      quantity: 5,
      delta: 5,
      countedQuantity: null,
      balanceAfter: 5,
      reference: '',
      note: '',
      createdAt: '2026-12-01T00:00:00.000Z',
    }
    const before = hashMovement(row)
    t.equal(hashMovement({ ...row, actor: null }), before, 'a row from before keeps its hash')
    t.not(hashMovement({ ...row, actor: 'ana' }), before)
    t.not(hashMovement({ ...row, actor: 'ana' }), hashMovement({ ...row, actor: 'luis' }))
  }
)
