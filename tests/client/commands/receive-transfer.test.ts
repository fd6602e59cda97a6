// Receiving transfers at Norte, sent from Sur by the real nodes; each test waits until the relay
// has delivered the dispatch message to Norte's inbox (tests/fixtures/delivered.ts).
import prompts from 'prompts'
import t from 'tap'
import { LOOK_AGAIN } from '../../../client/commands/receive-transfer.ts'
import type { Prompter } from '../../../client/io.ts'
import { runAction } from '../../../client/menu-loop.ts'
import { MENUS } from '../../../client/menus.ts'
import { almacen, seed, session, startNetwork } from '../../fixtures/client-kit.ts'
import { droppingProxy } from '../../fixtures/dropping-proxy.ts'
import { delivered } from '../../fixtures/delivered.ts'
import { api } from '../../fixtures/test-node.ts'

const action = (key: string) => MENUS.flatMap((m) => m.actions).find((a) => a.key === key)!

/** Sur and Norte, started once for the file; Sur has plenty of stock to send. */
let network: Promise<Awaited<ReturnType<typeof startNetwork>>> | undefined
function surAndNorte() {
  network ??= startNetwork(t, ['Sur', 'Norte']).then(async (nodes) => {
    await seed(nodes[0], [
      { sku: 'BOLT-M8', name: 'Bolt M8 zinc', onHand: 1000 },
      { sku: 'NUT-M8', name: 'Nut M8', unit: 'box', onHand: 1000 },
    ])
    return nodes
  })
  return network
}

/** A transfer sent by Sur to Norte, once its message has reached Norte. */
async function sent(lines: [string, number][], reference = '') {
  const [sur, norte] = await surAndNorte()
  const body = {
    to: 'Norte',
    reference,
    lines: lines.map(([sku, quantity]) => ({ sku, quantity })),
  }
  const { status, body: transfer } = await api(sur, 'POST', '/transfers', body)
  if (status !== 201) throw new Error(`send refused: ${JSON.stringify(transfer)}`)
  await delivered(sur, norte)
  return transfer as { id: string }
}

/** Norte behind a proxy that keeps the receipts the client posts, their bodies parsed. */
async function norteRecorded(test: { teardown(fn: () => unknown): void }) {
  const [, norte] = await surAndNorte()
  const proxy = await droppingProxy(test, norte.url, () => false)
  const receipts = () =>
    proxy.seen
      .filter((r) => r.method === 'POST' && r.path.startsWith('/transfers'))
      .map((r) => ({ ...r, body: JSON.parse(r.body) }))
  return { norte, url: proxy.url, receipts }
}

const stockAt = async (node: { url: string }, sku: string) =>
  (await api(node, 'GET', `/stock/${sku}`)).body.onHand as number

t.test(
  'receive-transfer ID receives everything still in transit, as a final receipt',
  async (t) => {
    const { norte, url, receipts } = await norteRecorded(t)
    const transfer = await sent(
      [
        ['BOLT-M8', 40],
        ['NUT-M8', 3],
      ],
      'DN-1'
    )
    const bolts = await stockAt(norte, 'BOLT-M8')
    const run = await almacen(['receive-transfer', transfer.id, '--url', url])
    t.equal(run.code, 0, run.stderr)
    t.match(
      run.stdout,
      `Received BOLT-M8 ×40, NUT-M8 ×3 into stock from Sur: transfer ${transfer.id} is received.\n`
    )
    t.match(run.stdout, /SKU +SENT +RECEIVED +IN TRANSIT\nBOLT-M8 +40 +40 +0\nNUT-M8 +3 +3 +0/)
    t.equal(await stockAt(norte, 'BOLT-M8'), bolts + 40)
    t.match(receipts(), [
      {
        path: `/transfers/${transfer.id}/receive`,
        key: /^[0-9a-f-]{36}$/,
        body: {
          final: true,
          lines: [
            { sku: 'BOLT-M8', received: 40 },
            { sku: 'NUT-M8', received: 3 },
          ],
        },
      },
    ])

    const again = await almacen(['receive-transfer', transfer.id, '--url', url])
    t.same(again, {
      code: 1,
      stdout: '',
      stderr: `almacen: nothing of transfer ${transfer.id} is in transit here: it is received.\n`,
    })
  }
)

t.test('receive-transfer ID SKU QTY receives part; --final says nothing more comes', async (t) => {
  const { norte, url, receipts } = await norteRecorded(t)
  const transfer = await sent([['BOLT-M8', 40]])
  const bolts = await stockAt(norte, 'BOLT-M8')
  const part = await almacen(['receive-transfer', transfer.id, 'bolt-m8', '30', '--url', url])
  t.equal(part.code, 0, part.stderr)
  t.match(part.stdout, `transfer ${transfer.id} is partially received.`)
  t.match(receipts().at(-1)!.body, { final: false, lines: [{ sku: 'BOLT-M8', received: 30 }] })
  // 10 are still on the way: 100 is a typo until shown otherwise, and nothing is sent.
  const typo = await almacen(['receive-transfer', transfer.id, 'BOLT-M8', '100', '--url', url])
  t.match(typo, {
    code: 1,
    stderr: /BOLT-M8: 100 is more than the 10 of transfer .* on the way here.*Nothing was recorded/,
  })
  t.equal(receipts().length, 1, 'no receipt sent')

  const json = await almacen([
    'receive-transfer',
    transfer.id,
    'BOLT-M8',
    '10',
    '--final',
    '--json',
    '--url',
    url,
  ])
  t.equal(json.code, 0, json.stderr)
  t.match(JSON.parse(json.stdout), {
    state: 'received',
    lines: [{ sku: 'BOLT-M8', received: 40, inTransit: 0 }],
  })
  t.equal(await stockAt(norte, 'BOLT-M8'), bolts + 40)
  const after = await almacen(['receive-transfer', transfer.id, 'BOLT-M8', '1', '--url', url])
  t.match(after, { code: 1, stderr: /has had its final receipt \(ALREADY_FINAL\)/ })
})

t.test(
  'receive-transfer with --damaged and --return: broken goods and, on a final receipt, the missing go back',
  async (t) => {
    const { norte, url, receipts } = await norteRecorded(t)
    const transfer = await sent([
      ['BOLT-M8', 40],
      ['NUT-M8', 3],
    ])
    const bolts = await stockAt(norte, 'BOLT-M8')
    // 38 BOLT-M8 arrived, 2 of them damaged; 1 NUT-M8 arrived, damaged; the rest is missing.
    const args = ['BOLT-M8', '38', '--damaged', 'BOLT-M8=2,NUT-M8=1', '--final', '--return']
    const run = await almacen(['receive-transfer', transfer.id, ...args, '--url', url])
    t.equal(run.code, 0, run.stderr)
    t.match(receipts().at(-1)!.body, {
      final: true,
      lines: [
        { sku: 'BOLT-M8', received: 36, damaged: 2, short: 2, disposition: 'return' },
        { sku: 'NUT-M8', received: 0, damaged: 1, short: 2, disposition: 'return' },
      ],
    })
    t.match(run.stdout, /SKU +SENT +RECEIVED +DAMAGED +SHORT +TO RETURN +IN TRANSIT/)
    t.match(run.stdout, /BOLT-M8 +40 +36 +2 +2 +4 +0\nNUT-M8 +3 +0 +1 +2 +3 +0/)
    t.equal(await stockAt(norte, 'BOLT-M8'), bolts + 36, 'only the good ones into stock')

    // Without SKU QTY everything arrived: the damaged among it written off by default.
    const all = await sent([['BOLT-M8', 10]])
    const whole = await almacen([
      'receive-transfer',
      all.id,
      '--damaged',
      'BOLT-M8=3',
      '--url',
      url,
    ])
    t.equal(whole.code, 0, whole.stderr)
    t.match(receipts().at(-1)!.body, {
      final: true,
      lines: [{ sku: 'BOLT-M8', received: 7, damaged: 3, disposition: 'write_off' }],
    })
    // Damaged alone before the sender's message (an id Norte does not know): all that arrived,
    // broken, nothing in good order. (Sur is up and says it sent no such transfer here: the node
    // refuses it; what the command asked is what this shows.)
    const notYet = '0f8e4c52-9a1b-4d2e-8c3f-5b6a7d8e9f07'
    const [sur] = await surAndNorte()
    const onlyDamaged = ['--damaged', 'NUT-M8=4', '--from', 'Sur', '--url', url]
    const asked = await almacen(['receive-transfer', notYet, ...onlyDamaged])
    t.match(asked, { code: 1, stderr: /Sur says it sent no transfer/ })
    t.match(receipts().at(-1)!.body, {
      from: 'Sur',
      final: false,
      lines: [{ sku: 'NUT-M8', received: 0, damaged: 4, disposition: 'write_off' }],
    })
    const more = await sent([['BOLT-M8', 2]])
    t.match(await almacen(['receive-transfer', more.id, '--damaged', 'BOLT-M8=3', '--url', url]), {
      code: 1,
      stderr:
        /BOLT-M8: 3 damaged is more than the 2 of transfer .* on the way here\. Nothing was recorded/,
    })
    const counted = (qty: string, damaged: string) =>
      almacen(['receive-transfer', more.id, 'BOLT-M8', qty, '--damaged', damaged, '--url', url])
    t.match(await counted('3', 'BOLT-M8=1'), {
      code: 1,
      stderr: /BOLT-M8: 3 \(1 of them damaged\) is more than the 2 of transfer/,
    })
    t.match(await counted('1', 'BOLT-M8=2'), {
      code: 2,
      stderr: /BOLT-M8: 2 damaged is more than the 1 that arrived/,
    })
  }
)

t.test('receive-transfer ID closes a transfer that came in instalments, none final', async (t) => {
  const { url, receipts } = await norteRecorded(t)
  const transfer = await sent([['BOLT-M8', 12]])
  for (const n of ['5', '7']) {
    const part = await almacen(['receive-transfer', transfer.id, 'BOLT-M8', n, '--url', url])
    t.equal(part.code, 0, part.stderr)
  }
  const closing = await almacen(['receive-transfer', transfer.id, '--url', url])
  t.equal(closing.code, 0, closing.stderr)
  t.match(
    closing.stdout,
    `Received nothing into stock from Sur: transfer ${transfer.id} is received.`
  )
  t.match(receipts().at(-1)!.body, { final: true, lines: [] })
  const again = await almacen(['receive-transfer', transfer.id, '--url', url])
  t.match(again, { code: 1, stderr: /nothing of transfer .* is in transit here: it is received/ })
})

t.test(
  'receive-transfer run again with its --key after a lost answer says it was recorded, and records nothing twice',
  async (t) => {
    const [, norte] = await surAndNorte()
    const lost = await droppingProxy(t, norte.url, (req) => req.method === 'POST')
    const { url, receipts } = await norteRecorded(t)
    const cases: [string, string[], number][] = [
      ['everything in transit', [], 40],
      [
        'final, the damaged and missing sent back',
        ['BOLT-M8', '38', '--damaged', 'BOLT-M8=2', '--final', '--return'],
        36,
      ],
    ]
    for (const [what, args, into] of cases) {
      const transfer = await sent([['BOLT-M8', 40]])
      const bolts = await stockAt(norte, 'BOLT-M8')
      const key = `GRN-${transfer.id.slice(0, 8)}`
      const first = ['receive-transfer', transfer.id, ...args, '--key', key]
      const unknown = await almacen([...first, '--url', lost.url, '--timeout', '1'])
      t.equal(unknown.code, 3, `${what}: the answer was lost`)
      t.equal(await stockAt(norte, 'BOLT-M8'), bolts + into, `${what}: the node recorded it`)
      t.match(JSON.parse(lost.seen.at(-1)!.body), { receiptId: key }, 'its receipt id is the key')

      const again = await almacen([...first, '--url', url])
      t.equal(again.code, 0, `${what}: ${again.stderr}`)
      t.match(
        again.stdout,
        `The receipt sent with --key ${key} was recorded: transfer ${transfer.id} from Sur is`
      )
      t.same(receipts(), [], `${what}: nothing sent again`)
      t.equal(await stockAt(norte, 'BOLT-M8'), bolts + into, `${what}: recorded once`)
    }

    // Part of it, not final: sent again as given (not held to what is in transit now), and the
    // node answers the first receipt's answer; another receipt under the same key is refused.
    const part = await sent([['BOLT-M8', 40]])
    const bolts = await stockAt(norte, 'BOLT-M8')
    const first = ['receive-transfer', part.id, 'BOLT-M8', '30', '--key', 'GRN-PART']
    t.equal((await almacen([...first, '--url', lost.url, '--timeout', '1'])).code, 3)
    t.equal(await stockAt(norte, 'BOLT-M8'), bolts + 30, 'the node recorded it')
    const again = await almacen([...first, '--url', url])
    t.equal(again.code, 0, again.stderr)
    t.match(receipts(), [{ key: 'GRN-PART', body: { receiptId: 'GRN-PART', final: false } }])
    t.equal(await stockAt(norte, 'BOLT-M8'), bolts + 30, 'recorded once')
    const next = ['receive-transfer', part.id, 'BOLT-M8', '10', '--key', 'GRN-PART', '--url', url]
    const reused = await almacen(next)
    t.equal(reused.code, 1, 'the next delivery under the same key is not taken as done')
    t.match(reused.stderr, /IDEMPOTENCY_KEY_REUSED/)
    const closing = await almacen(['receive-transfer', part.id, '--key', 'GRN-PART', '--url', url])
    t.equal(closing.code, 1)
    t.match(closing.stderr, `--key GRN-PART names another receipt of transfer ${part.id}`)
    t.equal(await stockAt(norte, 'BOLT-M8'), bolts + 30, 'nothing more recorded')
    // A final receipt with its lines given, then another under its key: the node judges it.
    const whole = await sent([['BOLT-M8', 40]])
    const final = ['receive-transfer', whole.id, 'BOLT-M8', '40', '--final', '--key', 'GRN-FIN']
    t.equal((await almacen([...final, '--url', url])).code, 0)
    const other = ['receive-transfer', whole.id, 'BOLT-M8', '39', '--final', '--key', 'GRN-FIN']
    const refused = await almacen([...other, '--url', url])
    t.equal(refused.code, 1, 'not said recorded: its lines are not the first')
    t.match(refused.stderr, /IDEMPOTENCY_KEY_REUSED/)
    t.equal(await stockAt(norte, 'BOLT-M8'), bolts + 70, 'the first only')
    const sentAgain = receipts().length

    // A key whose receipt the node never got: the receipt is made, carrying it.
    const transfer = await sent([['BOLT-M8', 5]])
    const run = await almacen(['receive-transfer', transfer.id, '--key', 'GRN-NEW', '--url', url])
    t.equal(run.code, 0, run.stderr)
    t.match(receipts().slice(sentAgain), [
      { key: 'GRN-NEW', body: { receiptId: 'GRN-NEW', final: true } },
    ])
  }
)

t.test('bad arguments exit 2 naming the mistake, and nothing is sent', async (t) => {
  const { url, receipts } = await norteRecorded(t)
  const cases: [string[], RegExp][] = [
    [[], /missing ID/],
    [['ID-1', 'BOLT-M8'], /each SKU needs a quantity after it/],
    [['ID-1', 'BOLT-M8', '-1'], /the QTY of BOLT-M8 must be a whole number greater than zero/],
    [['ID-1', 'BOLT-M8', '1', '--from', ''], /--from must name a warehouse/],
    [['ID-1', '--key', 'two words'], /--key must be 1-200 visible ASCII/],
    [['ID-1', '--damaged', 'BOLT-M8'], /--damaged takes SKU=N pairs, comma-separated/],
    [['ID-1', '--damaged', 'BOLT-M8=0'], /the damaged count of BOLT-M8 must be a whole number/],
    [['ID-1', '--damaged', 'BOLT-M8=1,bolt-m8=2'], /BOLT-M8 is given twice in --damaged/],
  ]
  for (const [args, message] of cases) {
    const run = await almacen(['receive-transfer', ...args, '--url', url])
    t.equal(run.code, 2, args.join(' '))
    t.match(run.stderr, message)
  }
  t.same(receipts(), [], 'nothing reached the node')
})

t.test(
  'Transfers › Receive: what came in good order, damaged or missing with what to do, then confirmed',
  async (t) => {
    const { norte, url, receipts } = await norteRecorded(t)
    const transfer = await sent(
      [
        ['BOLT-M8', 40],
        ['NUT-M8', 5],
      ],
      'DN-1'
    )
    const bolts = await stockAt(norte, 'BOLT-M8')
    const s = session(url, [
      transfer.id,
      true, // the last delivery
      '41', // more than on the way: asked again
      '36',
      '1', // damaged; so 3 missing
      'write_off',
      '5',
      true,
    ])
    await runAction(s.io, action('receive-transfer'))
    t.same(s.unused(), [])
    const out = s.output()
    t.match(out, 'The quantity must be at most the 40 on the way')
    t.match(out, /BOLT-M8 +36 +1 +3 +write off\nNUT-M8 +5 +0 +0/)
    t.match(
      out,
      `✔ Received BOLT-M8 ×36, NUT-M8 ×5 into stock from Sur: transfer ${transfer.id} is received.`
    )
    t.match(receipts().at(-1), {
      key: /^[0-9a-f-]{36}$/,
      body: {
        final: true,
        lines: [
          { sku: 'BOLT-M8', received: 36, damaged: 1, short: 3, disposition: 'write_off' },
          { sku: 'NUT-M8', received: 5 },
        ],
      },
    })
    t.equal(await stockAt(norte, 'BOLT-M8'), bolts + 36)
  }
)

t.test(
  'a partial receipt leaves the rest on its way, and a transfer shows when looked at again once its message arrived',
  async (t) => {
    const { url, receipts } = await norteRecorded(t)
    let transfer = { id: '' }
    const offered: unknown[][] = []
    const s = session(url, [false, '10', '0', '0', '0', true])
    s.io.prompts = (async (question, options) => {
      const q = question as { message?: string; choices?: { value: unknown }[] }
      if (q.message !== 'Which transfer arrived?') return prompts(question, options)
      offered.push(q.choices!.map((c) => c.value))
      if (offered.length > 1) return { value: transfer.id }
      // Sur sends while the person looks at the list; its message arrives; they look again.
      transfer = await sent(
        [
          ['BOLT-M8', 40],
          ['NUT-M8', 2],
        ],
        'DN-LATE'
      )
      return { value: LOOK_AGAIN }
    }) as Prompter
    await runAction(s.io, action('receive-transfer'))
    t.same(s.unused(), [])
    t.notOk(offered[0].includes(transfer.id), 'not offered before its message arrived')
    t.ok(offered[1].includes(transfer.id), 'offered once it had')
    t.match(s.output(), `transfer ${transfer.id} is partially received.`)
    const [receipt] = receipts()
    t.match(receipt.body, { final: false, lines: [{ sku: 'BOLT-M8', received: 10 }] })
    t.equal(receipt.body.lines.length, 1, 'nothing of NUT-M8 came: no line for it')
  }
)
