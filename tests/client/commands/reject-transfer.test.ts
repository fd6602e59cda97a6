// almacen reject-transfer at Norte, for transfers Sur sends through the real relay: a whole
// transfer refused before any receipt, and receipts Sur refused undone.
import t from 'tap'
import { almacen } from '../../fixtures/client-kit.ts'
import { delivered } from '../../fixtures/delivered.ts'
import { api } from '../../fixtures/test-node.ts'
import { boltsAt as onHand, stateAt, transferPair } from '../../fixtures/transfer-pair.ts'

const { nodes: surAndNorte, sent, whileSurIsAway } = transferPair(t)

t.test('a transfer refused before any receipt goes back to its sender', async (t) => {
  const [sur, norte] = await surAndNorte()
  const id = await sent(40)
  const run = await almacen(['reject-transfer', id, '--reason', 'not ordered', '--url', norte.url])
  t.equal(run.code, 0, run.stderr)
  t.equal(
    run.stdout,
    `Rejected transfer ${id} from Sur: nothing of it enters this warehouse's stock, and Sur books the goods back once they are there.\n`
  )
  t.equal(await stateAt(norte, id), 'rejected')
  await delivered(norte, sur)
  t.equal(await stateAt(sur, id), 'returning')
})

t.test('refused once goods were received, and without a reason', async (t) => {
  const [, norte] = await surAndNorte()
  const id = await sent(5)
  t.match(await almacen(['reject-transfer', id, '--url', norte.url]), {
    code: 2,
    stderr: /missing --reason: say why/,
  })
  const receipt = { lines: [{ sku: 'BOLT-M8', received: 2 }], final: false }
  t.equal((await api(norte, 'POST', `/transfers/${id}/receive`, receipt)).status, 200)
  const run = await almacen(['reject-transfer', id, '--reason', 'late', '--url', norte.url])
  t.match(run, {
    code: 1,
    stdout: '',
    stderr: /cannot be rejected: goods were already received against it \(ALREADY_RECEIVED\)/,
  })
  t.equal(await stateAt(norte, id), 'partially_received')
})

t.test('receipts the sender refused are undone, and their goods leave stock again', async (t) => {
  const [, norte] = await surAndNorte()
  const before = await onHand(norte)
  const madeUp = '0f8e4c52-9a1b-4d2e-8c3f-5b6a7d8e9f01'
  const receipt = { from: 'Sur', lines: [{ sku: 'BOLT-M8', received: 7 }], final: true }
  // Taken on trust while Sur is away (with Sur up, its ledger here would show the id is wrong).
  const sur = await whileSurIsAway(async () => {
    t.equal((await api(norte, 'POST', `/transfers/${madeUp}/receive`, receipt)).status, 200)
  })
  t.equal(await onHand(norte), before + 7)
  await delivered(norte, sur)
  const run = await almacen(['reject-transfer', madeUp, '--reason', 'wrong id', '--url', norte.url])
  t.equal(run.code, 0, run.stderr)
  t.equal(
    run.stdout,
    `Undid the receipts of transfer ${madeUp}, which Sur refused (it has no such transfer with this warehouse): what they put into stock is taken off again. Receive the goods against the right transfer.\n`
  )
  t.equal(await onHand(norte), before)
})
