// `almacen items --network` and `almacen adopt` against two real nodes: what Sur's warehouse sees
// of Norte's catalogue, and taking one of its items in.
import t from 'tap'
import { almacen } from '../../fixtures/client-kit.ts'
import { until } from '../../fixtures/node-process.ts'
import { api, startTestNode } from '../../fixtures/test-node.ts'

const KEY = 'test-cluster-key-for-almacen-tests'

t.test(
  'items --network lists who defines what, and adopt takes an item in by warehouse name',
  async (t) => {
    const norte = await startTestNode(t, { name: 'Norte', clusterKey: KEY })
    const sur = await startTestNode(t, { name: 'Sur', clusterKey: KEY, join: [norte.advertise] })
    await api(norte, 'POST', '/items', { sku: 'ROPE-10', name: 'Rope 10 mm', unit: 'm' })
    await api(norte, 'POST', '/items', { sku: 'GLUE', name: 'Glue', unit: 'kg' })
    await api(sur, 'POST', '/items', { sku: 'GLUE', name: 'Glue', unit: 'l' })
    const url = ['--url', sur.url]
    // Both of Norte's items: Sur's own GLUE is listed before Norte's definition of it arrives.
    await until(
      async () => {
        const { items } = (await api(sur, 'GET', '/network/items')).body as {
          items: { sku: string; origins: unknown[] }[]
        }
        const defined = (sku: string) => items.find((i) => i.sku === sku)?.origins.length ?? 0
        return defined('ROPE-10') === 1 && defined('GLUE') === 2
      },
      10_000,
      "Norte's items replicated to Sur"
    )

    const listed = await almacen(['items', '--network', ...url])
    t.equal(listed.code, 0)
    const lines = listed.stdout.trimEnd().split('\n')
    t.match(lines[0], /^SKU +NAME +UNIT +DEFINED AT +NOTE$/)
    t.match(lines[1], /^GLUE +Glue +kg \/ l +Sur \(here\), Norte +units differ$/)
    t.match(lines[2], /^ROPE-10 +Rope 10 mm +m +Norte +not here$/)
    const conflicts = await almacen(['items', '--network', '--conflicts', '--json', ...url])
    t.same(
      JSON.parse(conflicts.stdout).items.map((i: { sku: string }) => i.sku),
      ['GLUE']
    )

    t.same(await almacen(['adopt', 'rope-10', '--from', 'norte', ...url]), {
      code: 0,
      stdout:
        'Adopted ROPE-10 from Norte: Rope 10 mm, counted in m. Its stock here starts at 0 m.\n',
      stderr: '',
    })
    t.match(await almacen(['adopt', 'ROPE-10', '--from', 'Norte', ...url]), {
      code: 0,
      stdout: 'ROPE-10 is already in this catalogue as Norte defines it: nothing changed.\n',
    })
    t.match(await almacen(['adopt', 'GLUE', '--from', 'Norte', ...url]), {
      code: 1,
      stderr: /GLUE is already in this catalogue with another unit/,
    })
    // Judged from the node's answer: a refusal (1), not a usage error (2).
    t.match(await almacen(['adopt', 'GLUE', '--from', 'Este', ...url]), {
      code: 1,
      stdout: '',
      stderr:
        /^almacen: no other warehouse named Este defines GLUE; it is defined at Norte \([\w-]+\)\n$/,
    })
    t.match(await almacen(['items', '--conflicts', ...url]), {
      code: 2,
      stderr: /--conflicts goes with --network/,
    })
  }
)
