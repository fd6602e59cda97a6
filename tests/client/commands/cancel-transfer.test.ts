// almacen cancel-transfer and return-transfer at Sur, the sender, for transfers to Norte through
// the real relay: a cancel Norte accepts and the goods booked back, in part then the rest; a
// cancel refused once Norte has received.
import t from 'tap'
import { almacen } from '../../fixtures/client-kit.ts'
import { delivered } from '../../fixtures/delivered.ts'
import { api } from '../../fixtures/test-node.ts'
import { boltsAt as onHand, stateAt, transferPair } from '../../fixtures/transfer-pair.ts'

const { nodes: surAndNorte, sent } = transferPair(t)

t.test('a cancel Norte accepts lets the goods be booked back, in part then the rest', async (t) => {
  const [sur, norte] = await surAndNorte()
  const before = await onHand(sur)
  const id = await sent(40)
  t.match(await almacen(['cancel-transfer', id, '--url', sur.url]), {
    code: 2,
    stderr: /missing --reason: say why/,
  })
  const asked = await almacen(['cancel-transfer', id, '--reason', 'wrong van', '--url', sur.url])
  t.equal(asked.code, 0, asked.stderr)
  t.equal(
    asked.stdout,
    `Asked Norte to cancel transfer ${id}: the cancel waits on Norte's answer. Once Norte agrees, book the goods back as they come back: almacen return-transfer ${id}\n`
  )
  await delivered(sur, norte)
  await delivered(norte, sur)
  t.equal(await stateAt(norte, id), 'cancelled')
  t.equal(await stateAt(sur, id), 'returning')

  const part = await almacen(['return-transfer', id, 'BOLT-M8', '15', '--url', sur.url])
  t.equal(part.code, 0, part.stderr)
  t.equal(
    part.stdout,
    `Booked back into stock from transfer ${id}: BOLT-M8 ×15 in all. It is returning.\n`
  )
  const tooMany = await almacen(['return-transfer', id, 'BOLT-M8', '30', '--url', sur.url])
  t.match(tooMany, { code: 1, stdout: '' })
  const rest = await almacen(['return-transfer', id, '--note', 'back on the van', '--url', sur.url])
  t.equal(rest.code, 0, rest.stderr)
  t.match(rest.stdout, `BOLT-M8 ×40 in all. It is closed (`)
  t.equal(await onHand(sur), before)
})

t.test('a cancel is refused once Norte has received', async (t) => {
  const [sur, norte] = await surAndNorte()
  const id = await sent(5)
  const receipt = { lines: [{ sku: 'BOLT-M8', received: 5 }], final: true }
  t.equal((await api(norte, 'POST', `/transfers/${id}/receive`, receipt)).status, 200)
  await delivered(norte, sur)
  const run = await almacen(['cancel-transfer', id, '--reason', 'late', '--url', sur.url])
  t.match(run, { code: 1, stdout: '', stderr: /\(ALREADY_RECEIVED\)/ })
  t.match(await stateAt(sur, id), 'closed')
})

t.test('what a receipt sent back and never came is written off with --write-off', async (t) => {
  const [sur, norte] = await surAndNorte()
  const id = await sent(5)
  const receipt = {
    lines: [{ sku: 'BOLT-M8', received: 3, short: 2, disposition: 'return' }],
    final: true,
  }
  t.equal((await api(norte, 'POST', `/transfers/${id}/receive`, receipt)).status, 200)
  await delivered(norte, sur)
  t.equal(await stateAt(sur, id), 'returning')
  const run = await almacen([
    'return-transfer',
    id,
    '--write-off',
    '--note',
    'lost',
    '--url',
    sur.url,
  ])
  t.equal(run.code, 0, run.stderr)
  t.match(
    run.stdout,
    `Written off from transfer ${id}: BOLT-M8 ×2 in all, damaged or missing. It is closed (`
  )
  t.match(await almacen(['return-transfer', id, '--write-off', '--url', sur.url]), {
    code: 1,
    stderr: /has nothing to come back/,
  })
})
