// The transfer commands against real nodes (the node's own /transfers routes, relay and inbox):
// what a person at each warehouse sees, and the stock at both ends.
import { randomUUID } from 'node:crypto'
import prompts from 'prompts'
import t from 'tap'
import { LOOK_AGAIN } from '../../client/commands/receive-transfer.ts'
import type { Prompter } from '../../client/io.ts'
import { runAction } from '../../client/menu-loop.ts'
import { MENUS } from '../../client/menus.ts'
import { almacen, seed, session, startNetwork } from '../fixtures/client-kit.ts'
import { delivered } from '../fixtures/delivered.ts'
import { api, startTestNode } from '../fixtures/test-node.ts'
import { until } from '../fixtures/node-process.ts'

const onHand = async (node: { url: string }, sku: string) =>
  (await api(node, 'GET', `/stock/${sku}`)).body.onHand as number
const action = (key: string) => MENUS.flatMap((m) => m.actions).find((a) => a.key === key)!

t.test('one node refuses a send to itself, to no one, and bad input; nothing moves', async (t) => {
  const node = await startTestNode(t, { name: 'Madrid' })
  await seed(node, [{ sku: 'BOLT-M8', name: 'Bolt M8 zinc', onHand: 10 }])
  const url = ['--url', node.url]
  t.match(await almacen(['send', '--to', 'Madrid', 'BOLT-M8', '1', ...url]), {
    code: 1,
    stdout: '',
    stderr: /^almacen: .+ \(INVALID_DESTINATION\)\n$/,
  })
  t.match(await almacen(['send', '--to', 'Atlantis', 'BOLT-M8', '1', ...url]), {
    code: 1,
    stderr: /^almacen: .*Atlantis.* \(UNKNOWN_DESTINATION\)\n$/,
  })
  t.match(await almacen(['send', '--to', 'Atlantis', 'BOLT-M8', '1.5', ...url]), { code: 2 })
  t.equal(await onHand(node, 'BOLT-M8'), 10)
  t.same((await api(node, 'GET', '/transfers')).body.transfers, [])
})

t.test(
  'a transfer sent at Madrid leaves its stock at once and waits for Norte in the outbox',
  async (t) => {
    const [madrid, norte] = await startNetwork(t, ['Madrid', 'Norte'])
    await seed(madrid, [
      { sku: 'BOLT-M8', name: 'Bolt M8 zinc', onHand: 100 },
      { sku: 'NUT-M8', name: 'Nut M8', unit: 'box', onHand: 10 },
    ])
    const atMadrid = ['--url', madrid.url]
    t.match(await almacen(['send', '--to', 'Norte', 'BOLT-M8', '500', ...atMadrid]), {
      code: 1,
      stdout: '',
      stderr: /short by 400.* \(INSUFFICIENT_STOCK\)\n$/,
    })
    const sent = await almacen([
      'send',
      '--to',
      'norte',
      'BOLT-M8',
      '40',
      '--ref',
      'DN-1',
      ...atMadrid,
    ])
    t.equal(sent.code, 0, sent.stderr)
    const [, id] = /transfer ([0-9a-f-]{36}), in transit\./.exec(sent.stdout) ?? []
    t.ok(id, sent.stdout)
    t.equal(await onHand(madrid, 'BOLT-M8'), 60, 'the goods left Madrid')
    const stock = await almacen(['stock', ...atMadrid])
    t.match(
      stock.stdout,
      /SKU +NAME +ON HAND +IN TRANSIT +UNIT .*\nBOLT-M8 +Bolt M8 zinc +60 +40 +ea/
    )
    t.match(
      (await almacen(['stock', 'BOLT-M8', ...atMadrid])).stdout,
      'In transit:   40 ea sent: not yet received, or coming back'
    )
    t.match(
      (await almacen(['history', 'BOLT-M8', ...atMadrid])).stdout,
      /BOLT-M8 +transfer out +-40 +60 +admin +DN-1/
    )

    const list = await almacen(['transfers', '--out', ...atMadrid])
    t.match(list.stdout, new RegExp(`${id} .* to Norte +in transit +40 +BOLT-M8 ×40 +DN-1`))
    const story = await almacen(['transfers', id, ...atMadrid])
    t.match(story.stdout, `To:           Norte (${norte.identity.id})`)
    t.match(story.stdout, /SKU +SENT +RECEIVED +IN TRANSIT\nBOLT-M8 +40 +0 +40/)
    t.match(story.stdout, /dispatched +sent +/)

    // Through the menus: the same, the quantity checked against what is left.
    const s = session(madrid.url, [norte.identity.id, 'NUT-M8', '4', '', '', '', true])
    await runAction(s.io, action('send'))
    t.same(s.unused(), [])
    t.match(s.output(), /✔ Sent NUT-M8 ×4 to Norte: transfer [0-9a-f-]{36}, in transit\./)
    t.equal(await onHand(madrid, 'NUT-M8'), 6)
    const { transfers } = (await api(madrid, 'GET', '/transfers?direction=out')).body
    t.equal(transfers.length, 2, 'each sent once')
  }
)

t.test(
  'a transfer is received before its sender’s message, given its lines and --from',
  async (t) => {
    const [madrid, norte] = await startNetwork(t, ['Madrid', 'Norte'])
    const id = randomUUID()
    const atNorte = ['--url', norte.url]
    const bare = await almacen(['receive-transfer', id, ...atNorte])
    t.match(bare, { code: 1, stderr: /give what arrived \(SKU QTY…\) and --from WAREHOUSE/ })
    await seed(norte, [{ sku: 'BOLT-M8', name: 'Bolt M8 zinc' }])
    const receipt = ['receive-transfer', id, 'BOLT-M8', '5', '--from', 'Madrid', ...atNorte]
    // Madrid up, asked, and saying it sent no such transfer here: a wrong id, refused.
    t.match(await almacen(receipt), {
      code: 1,
      stderr: /Madrid says it sent no transfer .* to this warehouse.*\(VALIDATION_FAILED\)/,
    })
    // Madrid stopped (its message and ledger cannot come): the delivery note is taken on trust.
    const madridId = madrid.identity.id
    await madrid.close()
    await until(
      async () => (await api(norte, 'GET', `/replicas/${madridId}`)).body.state === 'stale',
      10_000,
      "Norte's replica of Madrid stale"
    )
    const run = await almacen([
      'receive-transfer',
      id,
      'BOLT-M8',
      '5',
      '--from',
      'Madrid',
      ...atNorte,
    ])
    t.equal(run.code, 0, run.stderr)
    t.equal(await onHand(norte, 'BOLT-M8'), 5)
    const story = await almacen(['transfers', id, ...atNorte])
    t.match(story.stdout, 'From:         Madrid')
    t.match(story.stdout, "State:        unannounced (its sender's message has not arrived)")
    // Staff find it among the incoming transfers, not among those to receive: what else is on
    // its way is not known until the sender's message arrives.
    const s = session(norte.url, [])
    await runAction(s.io, action('incoming'))
    t.match(s.output(), new RegExp(`${id} .* from Madrid +unannounced`))
    let offered: string[] = []
    s.io.prompts = (async (question: { choices?: { value: string }[] }) => {
      offered = question.choices!.map((c) => c.value)
      return {} // Ctrl-C
    }) as never
    await runAction(s.io, action('receive-transfer'))
    t.same(offered, [LOOK_AGAIN])
  }
)

t.test(
  'a transfer reaches Norte with its message, is received there through the menus with a loss, and Madrid learns of it',
  async (t) => {
    const [madrid, norte] = await startNetwork(t, ['Madrid', 'Norte'])
    await seed(madrid, [{ sku: 'BOLT-M8', name: 'Bolt M8 zinc', onHand: 100 }])
    const atMadrid = ['--url', madrid.url]
    const atNorte = ['--url', norte.url]
    let id = ''

    // Nothing has arrived: the list to receive is empty; Madrid sends, its message arrives.
    const offered: unknown[][] = []
    const s = session(norte.url, [true, '36', '1', 'write_off', true])
    s.io.prompts = (async (question, options) => {
      const q = question as { message?: string; choices?: { value: unknown }[] }
      if (q.message !== 'Which transfer arrived?') return prompts(question, options)
      offered.push(q.choices!.map((c) => c.value))
      if (offered.length === 1) {
        const sent = await almacen([
          'send',
          '--to',
          'Norte',
          'BOLT-M8',
          '40',
          '--json',
          ...atMadrid,
        ])
        id = JSON.parse(sent.stdout).id
        await delivered(madrid, norte)
        return { value: LOOK_AGAIN }
      }
      return { value: id }
    }) as Prompter
    await runAction(s.io, action('receive-transfer'))
    t.same(s.unused(), [])
    t.same(offered, [[LOOK_AGAIN], [id, LOOK_AGAIN]], 'shown as soon as its message arrived')
    t.match(
      s.output(),
      `✔ Received BOLT-M8 ×36 into stock from Madrid: transfer ${id} is received.`
    )
    t.equal(await onHand(norte, 'BOLT-M8'), 36, 'in Norte: what came in good order')

    await delivered(norte, madrid) // the receipt goes back to Madrid
    const story = await almacen(['transfers', id, ...atMadrid])
    t.match(story.stdout, /State: +closed \(delivered with loss\)/)
    t.match(story.stdout, /BOLT-M8 +40 +36 +1 +3 /)
    t.match(story.stdout, /dispatched +sent +delivered /)
    t.match(story.stdout, /received +came in +received and applied/)
    t.equal(await onHand(madrid, 'BOLT-M8'), 60)
    t.match(
      (await almacen(['transfers', '--in', ...atNorte])).stdout,
      new RegExp(`${id} .* from Madrid +received`)
    )
  }
)
