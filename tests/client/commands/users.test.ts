import t from 'tap'
import { almacen } from '../../fixtures/client-kit.ts'
import { startTestNode } from '../../fixtures/test-node.ts'

t.test('an admin adds a user, makes them a token, and it works until revoked', async (t) => {
  const node = await startTestNode(t, { name: 'Madrid' })
  const at = ['--url', node.url]
  t.match(await almacen(['users', 'add', 'ana', 'operator', ...at]), {
    code: 0,
    stdout: /ana +operator/,
  })
  const made = await almacen(['tokens', 'create', 'ana', 'scanner 3', ...at])
  t.equal(made.code, 0, made.stderr)
  const token = made.stdout.trim()
  t.match(token, /^almacen_[\w-]{43}$/, 'the token alone on stdout, for a script')
  t.match(made.stderr, /keep it now, it is not shown again/)

  // Ana's token at work: she may record, not manage.
  const asAna = { ALMACEN_TOKEN: token }
  t.match(await almacen(['stock', ...at], asAna), { code: 0 })
  t.match(await almacen(['users', ...at], asAna), {
    code: 1,
    stderr: /needs the admin role; this token is ana's, whose role is operator \(FORBIDDEN\)/,
  })

  const listed = await almacen(['tokens', '--user', 'ana', ...at])
  t.match(listed.stdout, /tok_[0-9a-f]{12} +ana +scanner 3/)
  t.notMatch(listed.stdout, token, 'a list never shows the secret')
  const id = /tok_[0-9a-f]{12}/.exec(listed.stdout)?.[0] as string
  t.match(await almacen(['tokens', 'revoke', id, ...at]), { code: 0, stdout: /Revoked tok_/ })
  t.match(await almacen(['stock', ...at], asAna), { code: 1, stderr: /revoked.*UNAUTHENTICATED/ })

  t.match(await almacen(['users', 'set', 'admin', 'viewer', ...at]), {
    code: 1,
    stderr: /last admin/,
  })
  t.match(await almacen(['users', 'add', 'Ana Pérez', 'operator', ...at]), {
    code: 2,
    stderr: /NAME must be 1-64 lower-case/,
  })
  t.match(await almacen(['users', 'add', 'bob', 'root', ...at]), {
    code: 2,
    stderr: /ROLE must be one of viewer, operator, admin/,
  })
})

t.test('without a token the client says what the node needs', async (t) => {
  const node = await startTestNode(t, { name: 'Madrid' })
  const run = await almacen(['stock', '--url', node.url], {
    ALMACEN_TOKEN: '',
    ALMACEN_DATA_DIR: t.testdir(),
  })
  t.match(run, { code: 1, stderr: /needs an API token.*UNAUTHENTICATED/ })
})
