import prompts from 'prompts'
import t from 'tap'
import { sendGoods } from '../../../client/commands/send.ts'
import type { Prompter } from '../../../client/io.ts'
import { runAction } from '../../../client/menu-loop.ts'
import { MENUS } from '../../../client/menus.ts'
import { almacen, seed, session, startNetwork } from '../../fixtures/client-kit.ts'
import { droppingProxy } from '../../fixtures/dropping-proxy.ts'
import { api, startTestNode } from '../../fixtures/test-node.ts'

type Test = { teardown(fn: () => unknown): void }

/**
 * Madrid, in a network with Norte, started once for the file; each test seeds items of its own.
 * The client talks to Madrid through a proxy that records what it sends (`madrid.sent()`).
 */
let network: ReturnType<typeof startNetwork> | undefined
async function madridAndNorte(test: Test, items: Parameters<typeof seed>[1]) {
  network ??= startNetwork(t, ['Madrid', 'Norte'])
  const [node, norte] = await network
  await seed(node, items)
  return { madrid: await recorder(test, node), norte, node }
}

/** A proxy in front of `node` that keeps what reached /transfers, the bodies parsed. */
async function recorder(test: Test, node: { url: string }) {
  const proxy = await droppingProxy(test, node.url, () => false)
  const sent = () =>
    proxy.seen
      .filter((r) => r.path.startsWith('/transfers'))
      .map((r) => ({ ...r, body: r.body ? JSON.parse(r.body) : undefined }))
  return { url: proxy.url, sent }
}

const onHand = async (node: { url: string }, sku: string) =>
  (await api(node, 'GET', `/stock/${sku}`)).body.onHand as number

const sendAction = MENUS.flatMap((m) => m.actions).find((a) => a.key === 'send')!

t.test(
  'almacen send sends each SKU QTY to the warehouse named, with an Idempotency-Key',
  async (t) => {
    const { madrid, norte, node } = await madridAndNorte(t, [
      { sku: 'BOLT-M8', name: 'Bolt M8 zinc', onHand: 100 },
      { sku: 'NUT-M8', name: 'Nut M8', unit: 'box', onHand: 10 },
    ])
    const url = ['--url', madrid.url]
    const run = await almacen([
      'send',
      '--to',
      'norte',
      'bolt-m8',
      '40',
      'NUT-M8',
      '2',
      '--ref',
      'DN-1',
      ...url,
    ])
    t.equal(run.code, 0, run.stderr)
    t.match(
      run.stdout,
      /^Sent BOLT-M8 ×40, NUT-M8 ×2 to Norte \(DN-1\): transfer [0-9a-f-]{36}, in transit\. The goods left this warehouse's stock; Norte receives them when they arrive\.\n$/
    )
    t.equal(run.stderr, '')
    t.equal(await onHand(node, 'BOLT-M8'), 60, 'the goods left Madrid')
    const [post] = madrid.sent()
    t.match(post, {
      method: 'POST',
      path: '/transfers',
      key: /^[0-9a-f-]{36}$/,
      body: {
        to: 'norte',
        reference: 'DN-1',
        lines: [
          { sku: 'BOLT-M8', quantity: 40 },
          { sku: 'NUT-M8', quantity: 2 },
        ],
      },
    })

    const json = await almacen([
      'send',
      '--to',
      norte.identity.id,
      'BOLT-M8',
      '1',
      '--json',
      '--key',
      'k-7',
      ...url,
    ])
    t.equal(json.code, 0)
    t.match(JSON.parse(json.stdout), {
      direction: 'out',
      peerName: 'Norte',
      state: 'in_transit',
      lines: [{ sku: 'BOLT-M8', sent: 1 }],
    })
    t.equal(madrid.sent().at(-1)!.key, 'k-7', '--key is the Idempotency-Key sent')
    const again = await almacen(['send', '--to', 'Norte', 'BOLT-M8', '1', '--key', 'k-7', ...url])
    t.equal(again.code, 0, 'the same key again: the first answer')
    t.equal(await onHand(node, 'BOLT-M8'), 59, 'sent once')
  }
)

t.test(
  "a send the node refuses exits 1 with the node's sentence: shortfall, unknown or itself",
  async (t) => {
    const { madrid, node } = await madridAndNorte(t, [
      { sku: 'SCREW-4', name: 'Screw 4 mm', onHand: 100 },
    ])
    const url = ['--url', madrid.url]
    t.match(await almacen(['send', '--to', 'Norte', 'SCREW-4', '500', ...url]), {
      code: 1,
      stdout: '',
      stderr:
        /^almacen: Cannot .*500 ea of SCREW-4.* in Madrid: only 100 ea on hand, short by 400 \(INSUFFICIENT_STOCK\)\n$/,
    })
    t.match(await almacen(['send', '--to', 'Atlantis', 'SCREW-4', '1', ...url]), {
      code: 1,
      stderr: /^almacen: .*Atlantis.* \(UNKNOWN_DESTINATION\)\n$/,
    })
    t.match(await almacen(['send', '--to', 'Madrid', 'SCREW-4', '1', ...url]), {
      code: 1,
      stderr: /\(INVALID_DESTINATION\)\n$/,
    })
    const json = await almacen(['send', '--to', 'Norte', 'SCREW-4', '500', '--json', ...url])
    t.match(JSON.parse(json.stderr), {
      status: 409,
      code: 'INSUFFICIENT_STOCK',
      error: /short by 400/,
    })
    t.equal(await onHand(node, 'SCREW-4'), 100, 'nothing left')
  }
)

t.test('bad arguments exit 2 naming the mistake, and nothing is sent', async (t) => {
  const node = await startTestNode(t)
  const madrid = await recorder(t, node)
  const url = ['--url', madrid.url]
  const cases: [string[], RegExp][] = [
    [['BOLT-M8', '1'], /give --to WAREHOUSE/],
    [['--to', 'Norte'], /missing SKU and QTY/],
    [['--to', 'Norte', 'BOLT-M8'], /each SKU needs a quantity after it: "BOLT-M8" has none/],
    [
      ['--to', 'Norte', 'BOLT-M8', '0'],
      /the QTY of BOLT-M8 must be a whole number greater than zero/,
    ],
    [['--to', 'Norte', 'BOLT-M8', '1', 'bolt-m8', '2'], /BOLT-M8 is given twice/],
    [
      ['--to', 'Norte', ...Array.from({ length: 501 }, (_, i) => [`S-${i}`, '1']).flat()],
      /a transfer has at most 500 lines, not 501/,
    ],
    [['--to', 'Norte', 'BOLT M8', '1'], /SKU must be 1-64 letters/],
    [['--to', '  ', 'BOLT-M8', '1'], /--to must name a warehouse/],
    [
      ['--to', 'Norte', 'BOLT-M8', '1', '--ref', 'a', '--reference', 'b'],
      /--ref or --reference, not both/,
    ],
  ]
  for (const [args, message] of cases) {
    const run = await almacen(['send', ...args, ...url])
    t.equal(run.code, 2, args.join(' '))
    t.match(run.stderr, message)
    t.match(run.stderr, 'usage: almacen send --to WAREHOUSE SKU QTY')
  }
  t.same(madrid.sent(), [], 'nothing reached the node')
})

t.test(
  'Transfers › Send: a warehouse, items scanned one after the other until an empty one, then confirmed',
  async (t) => {
    const { madrid, norte, node } = await madridAndNorte(t, [
      { sku: 'PIN-2', name: 'Pin 2 mm', onHand: 100 },
      { sku: 'WASHER-6', name: 'Washer 6', unit: 'box', onHand: 10 },
    ])
    const s = session(madrid.url, [
      norte.identity.id,
      'PIN-2',
      '40',
      'WASHER-6',
      '20', // more than the 10 boxes on hand: asked again
      '3',
      'PIN-2', // again: a second lot, added to the first
      '61', // more than the 60 not on the transfer yet: asked again
      '5',
      'WASHER-6', // again: the 7 left
      '7',
      'WASHER-6', // all 10 are on the transfer: not asked, the next item is

      '', // done
      'DN-9',
      '',
      true,
    ])
    await runAction(s.io, sendAction)
    t.same(s.unused(), [])
    const out = s.output()
    t.match(out, 'The quantity must be at most 10: only 10 box on hand')
    t.match(out, 'PIN-2 is on this transfer already (40 ea): the quantity is added to it.')
    t.match(out, 'On hand now: 100 ea (60 not on this transfer yet)')
    t.match(out, 'must be at most 60: only 100 ea on hand (40 of them on this transfer already)')
    t.match(out, 'All 10 box of WASHER-6 on hand are on this transfer already.')
    t.match(out, /PIN-2 +Pin 2 mm +45 +ea\nWASHER-6 +Washer 6 +10 +box/)
    t.match(
      out,
      /✔ Sent PIN-2 ×45, WASHER-6 ×10 to Norte \(DN-9\): transfer [0-9a-f-]{36}, in transit\./
    )
    t.equal(madrid.sent().length, 1)
    t.equal(await onHand(node, 'PIN-2'), 55)
    t.equal(await onHand(node, 'WASHER-6'), 0)
    t.match(madrid.sent()[0], {
      key: /^[0-9a-f-]{36}$/,
      body: {
        to: norte.identity.id,
        reference: 'DN-9',
        lines: [
          { sku: 'PIN-2', quantity: 45 },
          { sku: 'WASHER-6', quantity: 10 },
        ],
      },
    })
  }
)

t.test(
  "the node's refusal at Send is shown as its sentence, and no line means nothing sent",
  async (t) => {
    const { madrid, norte, node } = await madridAndNorte(t, [
      { sku: 'RIVET-3', name: 'Rivet 3 mm', onHand: 100 },
    ])
    // Another person takes stock after the quantity was asked: the node's refusal names the shortfall.
    const s = session(madrid.url, [norte.identity.id, 'RIVET-3', '90', '', '', '', true])
    s.io.prompts = (async (question, options) => {
      if ((question as { type?: string }).type === 'confirm') {
        await almacen(['issue', 'RIVET-3', '20', '--url', madrid.url])
      }
      return prompts(question, options)
    }) as Prompter
    await runAction(s.io, sendAction)
    t.same(s.unused(), [])
    t.match(s.output(), /✖ Cannot .*90 ea of RIVET-3.* in Madrid: only 80 ea on hand, short by 10/)
    t.notMatch(s.output(), /INSUFFICIENT_STOCK|\{/, 'no code or JSON')
    t.equal(await onHand(node, 'RIVET-3'), 80)

    const none = session(madrid.url, [norte.identity.id, ''])
    await runAction(none.io, sendAction)
    t.same(none.unused(), [])
    t.match(none.output(), 'Nothing sent: no item was chosen.')
    t.equal(madrid.sent().filter((r) => r.method === 'POST').length, 1)
  }
)

t.test('a warehouse alone in no network is told to join one before sending', async (t) => {
  const node = await startTestNode(t, { name: 'Madrid' })
  const s = session(node.url, [])
  await sendGoods(s.io)
  t.match(s.output(), 'There is no other warehouse to send to: join a network first')
})
