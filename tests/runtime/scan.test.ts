import { readFile } from 'node:fs/promises'
import path from 'node:path'
import t from 'tap'
import { ScanError, routeOf, scanHandlers } from '../../runtime/scan.ts'
import { ROOT } from '../fixtures/root.ts'

const handler = "export default () => 'ok'\n"

t.test('names routes from file paths in Nitro grammar', async (t) => {
  t.same(routeOf('health.get.ts'), { method: 'get', path: '/health' })
  t.same(routeOf('items/index.post.ts'), { method: 'post', path: '/items' })
  t.same(routeOf('items/[sku].patch.ts'), { method: 'patch', path: '/items/:sku' })
  t.same(routeOf('transfers/[transferId]/receive.post.ts'), {
    method: 'post',
    path: '/transfers/:transferId/receive',
  })
  t.same(routeOf('index.get.ts'), { method: 'get', path: '/' })
  t.same(routeOf('openapi.json.get.ts'), { method: 'get', path: '/openapi.json' })
})

t.test('refuses file names without a method or with a bad segment, naming the file', async (t) => {
  t.throws(
    () => routeOf('items/list.ts'),
    new ScanError(
      "handlers/items/list.ts: a handler's name must end in the method, e.g. index.get.ts or [sku].patch.ts (get, post, put, patch, delete)"
    )
  )
  t.throws(() => routeOf('items/index.fetch.ts'), { message: /handlers\/items\/index\.fetch\.ts/ })
  t.throws(() => routeOf('Items/index.get.ts'), {
    message: /handlers\/Items\/index\.get\.ts: "Items" is not a route segment/,
  })
  t.throws(() => routeOf('items/[s-k-u].get.ts'), { message: /"\[s-k-u\]" is not a route segment/ })
  t.throws(() => routeOf('openapi.v1.json.get.ts'), { message: /"openapi.v1.json" is not a route/ })
  t.throws(() => routeOf('.json.get.ts'), { message: /".json" is not a route segment/ })
})

t.test(
  'orders static segments before parameters so /items/search is not captured by /items/:sku',
  async (t) => {
    const dir = t.testdir({
      items: {
        '[sku].get.ts': handler,
        'search.get.ts': handler,
        'index.get.ts': handler,
        'index.post.ts': handler,
      },
      'health.get.ts': handler,
      _shared: { 'schemas.ts': 'export const x = 1\n' },
      '.hidden.get.ts': handler,
    })
    const routes = await scanHandlers(dir)
    t.same(
      routes.map((r) => `${r.method} ${r.path} ${r.file}`),
      [
        'get /health health.get.ts',
        'get /items items/index.get.ts',
        'post /items items/index.post.ts',
        'get /items/search items/search.get.ts',
        'get /items/:sku items/[sku].get.ts',
      ]
    )
  }
)

t.test('stops on two files for one route, naming both', async (t) => {
  const dir = t.testdir({ items: { '[sku].get.ts': handler, '[id].get.ts': handler } })
  await t.rejects(scanHandlers(dir), {
    message:
      /handlers\/items\/\[sku\]\.get\.ts and handlers\/items\/\[id\]\.get\.ts both define GET \/items\/:sku|handlers\/items\/\[id\]\.get\.ts and handlers\/items\/\[sku\]\.get\.ts both define GET/,
  })
})

t.test(
  "every route that changes something keeps its Idempotency-Key in the worker's write, or refuses one",
  async (t) => {
    // A key sent to a route whose change happens outside the worker (membership, the keyring, a
    // restore) was taken and did nothing: a retry with it got a second answer (409 "already
    // left"), not the first. Such a route declares `keyless`, and a key is refused with 400.
    const routes = await scanHandlers(path.join(ROOT, 'handlers'))
    const silent: string[] = []
    for (const route of routes) {
      if (route.method === 'get' || route.path.startsWith('/peer/')) continue
      // Read as text: the sources, whether the tests run from them or built (dist/).
      // Comments aside: a route that only mentions a send, or keyless, does neither.
      const source = (await readFile(route.absolute, 'utf8')).replace(
        /\/\*[\s\S]*?\*\/|\/\/.*$/gm,
        ''
      )
      if (!/\bkeyless:/.test(source) && !/\bdb\.send(Each)?\(/.test(source)) {
        silent.push(`${route.method.toUpperCase()} ${route.path} (${route.file})`)
      }
    }
    t.same(silent, [], 'no route takes a key it cannot keep')
  }
)
