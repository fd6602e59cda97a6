// Every route, asked with no token, a revoked token and a token of each role: who gets in is what
// the route declares, and nobody else. The walk is over the routes the node loads, so a new route
// is walked without this test knowing it.
import t from 'tap'
import { HANDLERS_DIR } from '../../runtime/node.ts'
import { loadRoutes } from '../../runtime/router.ts'
import { tempDir } from '../fixtures/temp-dir.ts'
import { rememberToken } from '../fixtures/tokens.ts'
import { api, startTestNode } from '../fixtures/test-node.ts'

const ROLES = ['viewer', 'operator', 'admin'] as const
type Role = (typeof ROLES)[number]

/** A path with its parameters filled in: values no route finds, which is fine once admitted. */
const concrete = (path: string) =>
  path.replace(/:(\w+)/g, (_, name: string) => (name === 'id' ? 'tok_000000000000' : 'nobody'))

t.test(
  'every route admits exactly the roles it declares, and no one without a token',
  async (t) => {
    const node = await startTestNode(t, { name: 'Madrid' })
    const tokens = {} as Record<Role | 'revoked', string>
    for (const role of ROLES) {
      t.equal((await api(node, 'POST', '/users', { name: `a-${role}`, role })).status, 201)
      const made = await api(node, 'POST', '/tokens', { user: `a-${role}`, name: 'walk' })
      t.equal(made.status, 201)
      t.match(made.body.token, /^almacen_[\w-]{43}$/, 'a token is shown once, when made')
      tokens[role] = made.body.token
    }
    const revoked = await api(node, 'POST', '/tokens', { user: 'a-admin', name: 'to revoke' })
    tokens.revoked = revoked.body.token
    t.equal((await api(node, 'POST', `/tokens/${revoked.body.id}/revoke`)).status, 200)
    const listed = await api(node, 'GET', '/tokens')
    t.notMatch(JSON.stringify(listed.body), /almacen_/, 'a list never shows a secret')

    const routes = (await loadRoutes(HANDLERS_DIR)).filter((r) => r.access !== 'peer')
    t.ok(routes.length > 40, `${routes.length} client routes walked`)
    // The admin's walk goes last: its routes may change the node (leave the network, rebuild).
    const order = (r: { access: string }) => (r.access === 'admin' ? 1 : 0)
    for (const route of routes.sort((a, b) => order(a) - order(b))) {
      const method = route.method.toUpperCase()
      const path = concrete(route.path)
      const body = method === 'GET' ? undefined : '{}'
      // Only the answer's head is awaited: an admitted event stream never ends.
      const as = async (token: string | null) => {
        const headers: Record<string, string> = { 'content-type': 'application/json' }
        if (token !== null) headers.authorization = `Bearer ${token}`
        const response = await fetch(node.url + path, { method, headers, body })
        const json = /json/.test(response.headers.get('content-type') ?? '')
        const answer = json ? await response.json() : await response.body?.cancel()
        return { status: response.status, body: answer }
      }
      const what = `${method} ${route.path} (${route.access})`
      if (route.access === 'public') {
        t.notOk([401, 403].includes((await as(null)).status), `${what}: open to anyone`)
        continue
      }
      const anonymous = await as(null)
      t.equal(anonymous.status, 401, `${what}: no token, 401`)
      t.match(anonymous.body, { code: 'UNAUTHENTICATED', error: /Bearer/ })
      t.match(
        await as('almacen_not-a-token-of-this-node'),
        // Said with its likely causes: another warehouse's token, or one made after the backup a
        // node was restored from (the new user's case), or a typo.
        {
          status: 401,
          body: { error: /its own tokens.*restored from a backup.*mistyped/ },
        },
        `${what}: unknown token`
      )
      const gone = await as(tokens.revoked)
      t.match(gone, { status: 401, body: { error: /revoked/ } }, `${what}: revoked token`)
      for (const role of ROLES) {
        const { status, body: answer } = await as(tokens[role])
        if (ROLES.indexOf(role) < ROLES.indexOf(route.access as Role)) {
          t.equal(status, 403, `${what}: ${role} is refused`)
          t.match(answer, { code: 'FORBIDDEN', error: new RegExp(`needs the .*${route.access}`) })
        } else {
          t.notOk([401, 403].includes(status), `${what}: ${role} gets in (${status})`)
        }
      }
    }
  }
)

t.test(
  'a token stops working when revoked, when it expires or when its user is disabled',
  async (t) => {
    const node = await startTestNode(t, { name: 'Madrid' })
    await api(node, 'POST', '/users', { name: 'ana', role: 'operator' })
    const made = await api(node, 'POST', '/tokens', { user: 'ana', name: 'scanner 3' })
    const ana = { authorization: `Bearer ${made.body.token}` }
    t.match(await api(node, 'GET', '/me', undefined, ana), {
      status: 200,
      body: { user: 'ana', role: 'operator', tokenId: made.body.id },
    })
    // Remembered after its first use: a revocation must still be seen at the next request.
    await api(node, 'POST', `/tokens/${made.body.id}/revoke`)
    t.match(await api(node, 'GET', '/me', undefined, ana), {
      status: 401,
      body: { error: /revoked/ },
    })

    const again = await api(node, 'POST', '/tokens', { user: 'ana', name: 'scanner 4' })
    const ana2 = { authorization: `Bearer ${again.body.token}` }
    t.equal((await api(node, 'GET', '/me', undefined, ana2)).status, 200)
    t.equal((await api(node, 'PATCH', '/users/ana', { disabled: true })).status, 200)
    t.match(await api(node, 'GET', '/me', undefined, ana2), {
      status: 401,
      body: { error: /ana is disabled/ },
    })
    t.match(await api(node, 'POST', '/tokens', { user: 'ana', name: 'x' }), {
      status: 409,
      body: { error: /disabled/ },
    })
    await api(node, 'PATCH', '/users/ana', { disabled: false, role: 'viewer' })
    t.match(await api(node, 'POST', '/movements', {}, ana2), { status: 403 }, 'now a viewer')

    t.match(
      await api(node, 'POST', '/tokens', {
        user: 'ana',
        name: 'x',
        expiresAt: '2020-01-01T00:00:00Z',
      }),
      { status: 400, body: { details: [{ path: 'expiresAt', message: /future/ }] } }
    )
    t.match(
      await api(node, 'POST', '/tokens', { user: 'ana', name: 'x' }, { 'idempotency-key': 'k1' }),
      { status: 400, body: { error: /no Idempotency-Key/ } },
      'a token is never replayed: its secret could not be shown again'
    )
    // Routes whose effect no key can make once refuse one, rather than let it do nothing.
    const keyed = { 'idempotency-key': 'k2' }
    t.match(await api(node, 'POST', '/backup', {}, keyed), {
      status: 400,
      body: { error: /^POST \/backup takes no Idempotency-Key: each request takes a new copy/ },
    })
    t.same((await api(node, 'GET', '/backups')).body.backups, [], 'and no backup was taken')
    t.match(await api(node, 'POST', '/keys', { generate: true }, keyed), {
      status: 400,
      body: { error: /^POST \/keys takes no Idempotency-Key: .*GET \/keys/ },
    })
    t.match(await api(node, 'PATCH', '/users/admin', { role: 'viewer' }), {
      status: 409,
      body: { error: /last admin/ },
    })
    t.match(await api(node, 'POST', '/users', { name: 'Ana Pérez', role: 'operator' }), {
      status: 400,
      body: { details: [{ path: 'name' }] },
    })
    t.match(await api(node, 'POST', '/users', { name: 'ana', role: 'operator' }), { status: 409 })
    t.match(await api(node, 'POST', '/users', { name: 'bob', role: 'root' }), { status: 400 })
    t.match(
      await api(node, 'POST', '/tokens', { user: 'nobody', name: 'x' }),
      { status: 404, body: { details: [{ path: 'user', message: 'no user named nobody' }] } },
      'a token for no user names the field that is wrong'
    )
  }
)

t.test(
  'the last admin with a working token stays one; locked out anyway, the node makes a new admin token at start',
  async (t) => {
    const dataDir = tempDir(t)
    const node = await startTestNode(t, { name: 'Madrid', dataDir })
    const first = rememberToken(node.url, dataDir) as string
    // Another admin, never given a token, is no one to manage the node.
    t.equal((await api(node, 'POST', '/users', { name: 'eva', role: 'admin' })).status, 201)
    t.match(await api(node, 'PATCH', '/users/admin', { disabled: true }), {
      status: 409,
      body: { error: /admin is the last admin with a working token/ },
    })
    const given = await api(node, 'POST', '/tokens', { user: 'eva', name: 'laptop' })
    t.equal(given.status, 201)
    const asEva = { authorization: `Bearer ${given.body.token}` }
    t.match(await api(node, 'PATCH', '/users/admin', { disabled: true }, asEva), {
      status: 200,
      body: { disabledAt: /Z$/ },
    })
    // Eva's token is revoked by Eva herself: nobody can manage the node now.
    t.equal((await api(node, 'POST', `/tokens/${given.body.id}/revoke`, {}, asEva)).status, 200)
    t.match(await api(node, 'GET', '/users', undefined, asEva), { status: 401 })
    await node.close()
    // Whoever runs the node starts it once with --new-admin-token.
    const again = await startTestNode(t, { name: 'Madrid', dataDir, newAdminToken: true })
    const made = rememberToken(again.url, dataDir) as string
    t.not(made, first, 'a new token in the file')
    t.match(await api(again, 'GET', '/me'), { status: 200, body: { user: 'eva', role: 'admin' } })
    t.match(
      await api(again, 'GET', '/me', undefined, { authorization: `Bearer ${first}` }),
      { status: 401 },
      'the disabled admin stays disabled'
    )
  }
)
