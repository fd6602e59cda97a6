// `almacen keys`: a whole rotation from the command line against real nodes that share a key.
import t from 'tap'
import { signingKey } from '../../../network/index.ts'
import { almacen, startNetwork } from '../../fixtures/client-kit.ts'
import { droppingProxy } from '../../fixtures/dropping-proxy.ts'
import { CLUSTER_KEY } from '../../fixtures/node-process.ts'

const OLD = signingKey(CLUSTER_KEY).id

t.test('almacen keys lists, installs, uses and removes, saying what each step did', async (t) => {
  const [madrid, sevilla] = await startNetwork(t, ['Madrid', 'Sevilla'])
  const at = ['--url', madrid.url]
  t.same(await almacen(['keys', ...at]), {
    code: 0,
    stdout: `KEY               HELD BY  SIGNS ON\n${OLD}  2 of 2   2 of 2\n`,
    stderr: '',
  })
  const installed = await almacen(['keys', 'install', ...at])
  t.equal(installed.code, 0, installed.stderr)
  const [, id, secret] =
    /^✔ Key ([0-9a-f]{16}) installed on 2 of 2 members\.\nThe new key, shown this once: ([\w-]{43})\n/.exec(
      installed.stdout
    ) ?? []
  t.ok(id && secret, installed.stdout)
  t.equal(signingKey(secret).id, id, 'the key shown is the one installed')

  const refused = await almacen(['keys', 'remove', OLD, '--url', sevilla.url])
  t.equal(refused.code, 1)
  t.match(refused.stderr, /still signs on .*make another key primary first/)
  t.equal((await almacen(['keys', 'use', id, ...at])).code, 0)
  t.same(await almacen(['keys', 'remove', OLD, ...at]), {
    code: 0,
    stdout: `KEY               HELD BY  SIGNS ON\n${id}  2 of 2   2 of 2\n`,
    stderr: '',
  })
  const json = await almacen(['keys', '--json', ...at])
  t.match(JSON.parse(json.stdout), { keys: [{ id, installedOn: 2, primaryOn: 2 }], answered: 2 })

  const bad = await almacen(['keys', 'use', 'nope', ...at])
  t.same([bad.code, bad.stdout], [2, ''])
  t.match(bad.stderr, /ID a key id is 16 hex digits/)
})

t.test('keys install whose answer is lost installs one key, the one it shows', async (t) => {
  const [madrid] = await startNetwork(t, ['Madrid', 'Sevilla'])
  let posts = 0
  const proxy = await droppingProxy(t, madrid.url, (req) => req.method === 'POST' && ++posts === 1)
  const installed = await almacen(['keys', 'install', '--url', proxy.url])
  t.equal(installed.code, 0, installed.stderr)
  const [, id, secret] = /Key ([0-9a-f]{16}) .*\n.*shown this once: ([\w-]{43})\n/.exec(
    installed.stdout
  ) ?? ['', '', '']
  t.equal(signingKey(secret).id, id, 'the key shown is the one installed')
  const sent = proxy.seen.filter((r) => r.method === 'POST')
  t.same(
    sent.map((r) => r.dropped),
    [true, false],
    'the first answer lost, the install sent again'
  )
  t.same(
    JSON.parse((await almacen(['keys', '--json', '--url', madrid.url])).stdout)
      .keys.map((k: { id: string }) => k.id)
      .sort(),
    [OLD, id].sort(),
    'one new key, not one per try'
  )
})

t.test(
  'keys install with no answer at all names the key it sent, and shows a key it made',
  async (t) => {
    const [madrid] = await startNetwork(t, ['Madrid', 'Sevilla'])
    const proxy = await droppingProxy(t, madrid.url, (req) => req.method === 'POST')
    const lost = await almacen(['keys', 'install', '--url', proxy.url, '--timeout', '1'])
    t.equal(lost.code, 3, 'the node did not answer: exit 3')
    const [, id, secret] =
      /The key ([0-9a-f]{16}) may have been installed: .* shown this once: ([\w-]{43})\n/.exec(
        lost.stderr
      ) ?? ['', '', '']
    t.equal(signingKey(secret).id, id, 'the key shown is the one named')
    const keys = JSON.parse((await almacen(['keys', '--json', '--url', madrid.url])).stdout).keys
    t.ok(
      keys.some((k: { id: string }) => k.id === id),
      'the key named is the one the node installed'
    )
  }
)

t.test(
  'keys install --here: on this node alone, and only where the key travels privately',
  async (t) => {
    const [madrid] = await startNetwork(t, ['Madrid', 'Sevilla'])
    const here = await almacen(['keys', 'install', '--here', '--url', madrid.url])
    t.equal(here.code, 0, here.stderr)
    t.match(here.stdout, /^✔ Key [0-9a-f]{16} installed on 1 of 2 members\./, 'not sent to Sevilla')
    // A node elsewhere over plain HTTP would get the key as it is: refused before anything is sent.
    const far = await almacen(['keys', 'install', '--here', '--url', 'http://10.9.9.9:8080'])
    t.same([far.code, far.stdout], [2, ''])
    t.match(far.stderr, /--here sends the key to http:\/\/10\.9\.9\.9:8080 as it is/)
  }
)
