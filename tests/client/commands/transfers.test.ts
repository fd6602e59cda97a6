// Listing transfers and telling one's story, at Madrid, with real nodes: one transfer in from
// Norte (its message delivered by the relay), and one out to Norte sent after Norte stopped,
// whose message the relay has failed to deliver, trying again and again.
import t from 'tap'
import { TYPE_ID } from '../../../client/commands/transfers.ts'
import { runAction } from '../../../client/menu-loop.ts'
import { MENUS } from '../../../client/menus.ts'
import { almacen, seed, session, startNetwork } from '../../fixtures/client-kit.ts'
import { droppingProxy } from '../../fixtures/dropping-proxy.ts'
import { delivered } from '../../fixtures/delivered.ts'
import { until } from '../../fixtures/node-process.ts'
import { api } from '../../fixtures/test-node.ts'

const action = (key: string) => MENUS.flatMap((m) => m.actions).find((a) => a.key === key)!

async function send(from: { url: string }, to: string, sku: string, quantity: number, ref: string) {
  const body = { to, reference: ref, lines: [{ sku, quantity }] }
  const { status, body: transfer } = await api(from, 'POST', '/transfers', body)
  if (status !== 201) throw new Error(`send refused: ${JSON.stringify(transfer)}`)
  return transfer as { id: string }
}

/** Madrid and Norte with the two transfers, made once for the file. */
let made: ReturnType<typeof make> | undefined
async function make() {
  const [madrid, norte] = await startNetwork(t, ['Madrid', 'Norte'])
  await seed(madrid, [{ sku: 'BOLT-M8', name: 'Bolt M8 zinc', onHand: 100 }])
  await seed(norte, [{ sku: 'NUT-M8', name: 'Nut M8', unit: 'box', onHand: 50 }])
  const incoming = await send(norte, 'Madrid', 'NUT-M8', 5, 'DN-1')
  await delivered(norte, madrid)
  // Norte stops: the relay tries to deliver the next transfer, and fails, until it is back.
  await norte.close()
  const outgoing = await send(madrid, 'Norte', 'BOLT-M8', 40, 'DN-2')
  await until(
    async () =>
      (await api(madrid, 'GET', `/transfers/${outgoing.id}`)).body.messages[0]?.attempts >= 2,
    10_000,
    'the relay tried Norte twice'
  )
  return { madrid, norte, incoming, outgoing }
}

/** The transfers, and Madrid behind a proxy that records what the client asks of it. */
async function madridRecorded(test: { teardown(fn: () => unknown): void }) {
  made ??= make()
  const ready = await made
  const proxy = await droppingProxy(test, ready.madrid.url, () => false)
  return { ...ready, url: proxy.url, seen: proxy.seen }
}

t.test('almacen transfers lists them newest first, filtered as asked, or as JSON', async (t) => {
  const { url: at, seen, incoming, outgoing } = await madridRecorded(t)
  const url = ['--url', at]
  const all = await almacen(['transfers', ...url])
  t.equal(all.code, 0, all.stderr)
  const [header, first, second] = all.stdout.split('\n')
  t.match(header, /^ID +WHEN +WAREHOUSE +STATE +IN TRANSIT +ITEMS +REFERENCE$/)
  t.match(first, new RegExp(`^${outgoing.id} .* to Norte +in transit +40 +BOLT-M8 ×40 +DN-2$`))
  t.match(second, new RegExp(`^${incoming.id} .* from Norte +announced +5 +NUT-M8 ×5 +DN-1$`))

  const out = await almacen([
    'transfers',
    '--out',
    '--state',
    'IN_TRANSIT',
    '--sku',
    'bolt-m8',
    ...url,
  ])
  t.equal(out.stdout.split('\n').length, 3, 'the header and one transfer')
  t.match(seen.at(-1)!.path, /direction=out/)
  t.match(seen.at(-1)!.path, /state=in_transit/)
  t.match(seen.at(-1)!.path, /sku=BOLT-M8/)

  const none = await almacen(['transfers', '--out', '--sku', 'NUT-M8', ...url])
  t.same(none, { code: 0, stdout: 'No transfer matches.\n', stderr: '' })

  const json = JSON.parse((await almacen(['transfers', '--in', '--json', ...url])).stdout)
  t.match(json, { transfers: [{ id: incoming.id, direction: 'in' }], nextCursor: null })
  t.equal(json.transfers.length, 1)
})

t.test('almacen transfers ID tells its story: lines, messages and their delivery', async (t) => {
  const { url, norte, incoming, outgoing } = await madridRecorded(t)
  const run = await almacen(['transfers', outgoing.id, '--url', url])
  t.equal(run.code, 0, run.stderr)
  t.match(
    run.stdout,
    `Transfer:     ${outgoing.id}\nTo:           Norte (${norte.identity.id})\nState:        in transit\nReference:    DN-2`
  )
  t.match(run.stdout, /SKU +SENT +RECEIVED +IN TRANSIT\nBOLT-M8 +40 +0 +40/)
  t.match(run.stdout, /dispatched +sent +PENDING, \d+ attempts: /)
  t.notMatch(run.stdout, 'RECEIPT', 'no receipt yet')

  const missing = await almacen(['transfers', 'no-such-id', '--url', url])
  t.match(missing, { code: 1, stderr: 'almacen: No transfer no-such-id here (NOT_FOUND)\n' })
})

t.test('bad arguments exit 2 naming the mistake, and nothing is sent', async (t) => {
  const { url, seen } = await madridRecorded(t)
  const cases: [string[], RegExp][] = [
    [['--in', '--out'], /give --in or --out, not both/],
    [['--state', 'lost'], /--state must be one of in_transit, partially_received/],
    [['ID-1', '--in'], /are for the list, not for one ID/],
    [['ID-1', 'ID-2'], /unexpected argument "ID-2"/],
    [['--limit', '0'], /--limit must be a whole number from 1 to 500/],
  ]
  for (const [args, message] of cases) {
    const run = await almacen(['transfers', ...args, '--url', url])
    t.equal(run.code, 2, args.join(' '))
    t.match(run.stderr, message)
  }
  t.same(seen, [], 'nothing reached the node')
})

t.test('Transfers › Outgoing, Incoming and One transfer read the node each time', async (t) => {
  const { url, norte, incoming, outgoing } = await madridRecorded(t)
  const s = session(url, [outgoing.id])
  await runAction(s.io, action('outgoing'))
  await runAction(s.io, action('incoming'))
  t.match(s.output(), new RegExp(`${outgoing.id} .* to Norte`))
  t.match(s.output(), new RegExp(`${incoming.id} .* from Norte`))
  s.lines.length = 0
  await runAction(s.io, action('story'))
  t.match(s.output(), `Transfer:     ${outgoing.id}`)
  t.match(s.output(), /PENDING, \d+ attempts: /)
  t.same(s.unused(), [])

  // Received here: its story gains the receipt, and the message that tells the sender.
  await almacen(['receive-transfer', incoming.id, '--url', url])
  // Not among the latest: typed, as it is on the paperwork.
  const typed = session(url, [TYPE_ID, incoming.id])
  await runAction(typed.io, action('story'))
  t.same(typed.unused(), [])
  const story = typed.output()
  t.match(story, `From:         Norte (${norte.identity.id})`)
  t.match(story, /dispatched +came in +received and applied/)
  // Norte is not running: the message waits (the relay may have tried it already, or not yet).
  t.match(story, /received +sent +PENDING, (not tried yet|\d+ attempts?: )/)
  t.match(story, /RECEIPT +WHEN +FINAL\n[0-9a-f-]{36} +\S+ \S+ +final/)
})
