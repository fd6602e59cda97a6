// Transfers › Reject, cancel or book back, at Sur and Norte with the real relay between them: the
// step each transfer waits on is offered, asked for with its reason, confirmed (No by default),
// and done; a transfer that waits on none is said to.
import t from 'tap'
import { TYPE_ID } from '../../../client/commands/transfers.ts'
import { runAction } from '../../../client/menu-loop.ts'
import { MENUS } from '../../../client/menus.ts'
import { transfersWaitingOnStep } from '../../../client/transfers.ts'
import { CTRL_C, session } from '../../fixtures/client-kit.ts'
import { delivered } from '../../fixtures/delivered.ts'
import { api } from '../../fixtures/test-node.ts'
import { boltsAt, stateAt, transferPair } from '../../fixtures/transfer-pair.ts'

const { nodes: surAndNorte, sent, whileSurIsAway } = transferPair(t)
const step = MENUS.flatMap((m) => m.actions).find((a) => a.key === 'step')!

/** The ids of the transfers the step's list offers at `url`. */
const offered = async (url: string) =>
  (await transfersWaitingOnStep(session(url, []).io.api)).map((x) => x.id)

t.test(
  'Norte rejects a transfer from the list; Sur books it back as it comes, line by line',
  async (t) => {
    const [sur, norte] = await surAndNorte()
    const id = await sent(40)
    t.ok((await offered(norte.url)).includes(id), 'the announced transfer is offered at Norte')
    const atNorte = session(norte.url, [id, 'not ordered', true])
    await runAction(atNorte.io, step)
    t.same(atNorte.unused(), [])
    t.match(atNorte.output(), `✔ Rejected transfer ${id} from Sur`)
    t.equal(await stateAt(norte, id), 'rejected')
    t.notOk((await offered(norte.url)).includes(id), 'and no longer once rejected')

    await delivered(norte, sur)
    t.ok((await offered(sur.url)).includes(id), 'what is due back is offered at Sur')
    const before = await boltsAt(sur)
    const first = session(sur.url, [id, '25', true])
    await runAction(first.io, step)
    t.same(first.unused(), [])
    t.match(first.output(), `✔ Booked back into stock from transfer ${id}: BOLT-M8 ×25 in all.`)
    t.equal(await boltsAt(sur), before + 25)
    // The rest, as offered: Enter takes what is still due.
    const rest = session(sur.url, [id, undefined, true])
    await runAction(rest.io, step)
    t.match(rest.output(), 'BOLT-M8 ×40 in all')
    t.equal(await boltsAt(sur), before + 40)
    t.notOk((await offered(sur.url)).includes(id), 'nothing is due back any more')
  }
)

t.test(
  'Sur asks Norte to cancel one in transit: a reason is required, No is the default, Ctrl-C goes back',
  async (t) => {
    const [sur] = await surAndNorte()
    const id = await sent(3)
    const no = session(sur.url, [id, '', 'wrong warehouse', undefined])
    await runAction(no.io, step)
    t.same(no.unused(), [])
    t.match(no.output(), 'The reason must not be empty')
    t.match(no.output(), 'Nothing done.')
    const back = session(sur.url, [id, CTRL_C])
    await runAction(back.io, step)
    t.match(back.output(), 'Cancelled: nothing was done.')
    t.equal(await stateAt(sur, id), 'in_transit', 'nothing was asked')
    const yes = session(sur.url, [id, 'wrong warehouse', true])
    await runAction(yes.io, step)
    t.same(yes.unused(), [])
    t.match(
      yes.output(),
      `✔ Asked Norte to cancel transfer ${id}: the cancel waits on Norte's answer. Once Norte agrees, book the goods back as they come back: Transfers › Reject, cancel or book back a transfer`
    )
    t.equal(await stateAt(sur, id), 'cancel_requested')
  }
)

t.test('Sur books back what Norte sent back with a part receipt', async (t) => {
  const [sur, norte] = await surAndNorte()
  const id = await sent(5)
  const part = {
    lines: [{ sku: 'BOLT-M8', received: 3, damaged: 2, disposition: 'return' }],
    final: false,
  }
  t.equal((await api(norte, 'POST', `/transfers/${id}/receive`, part)).status, 200)
  await delivered(norte, sur)
  t.equal(await stateAt(sur, id), 'partially_received')
  t.ok(
    (await offered(sur.url)).includes(id),
    'offered at Sur while part of it is still on the road'
  )
  const before = await boltsAt(sur)
  const s = session(sur.url, [id, undefined, true])
  await runAction(s.io, step)
  t.same(s.unused(), [])
  t.equal(await boltsAt(sur), before + 2)
})

t.test(
  'Sur books back the damaged that came back and writes off the missing that never will',
  async (t) => {
    const [sur, norte] = await surAndNorte()
    const id = await sent(5)
    const final = {
      lines: [{ sku: 'BOLT-M8', received: 2, damaged: 1, short: 2, disposition: 'return' }],
      final: true,
    }
    t.equal((await api(norte, 'POST', `/transfers/${id}/receive`, final)).status, 200)
    await delivered(norte, sur)
    const before = await boltsAt(sur)
    const inTransit = async () => (await api(sur, 'GET', '/stock/BOLT-M8')).body.inTransit
    const onTheRoad = await inTransit()
    // One came back; the other two will not: written off, confirmed (No by default).
    const s = session(sur.url, [id, '1', true, false, true])
    await runAction(s.io, step)
    t.same(s.unused(), [])
    t.match(s.output(), `✔ Booked back into stock from transfer ${id}: BOLT-M8 ×1 in all.`)
    t.match(s.output(), `✔ Written off from transfer ${id}: BOLT-M8 ×2 in all, damaged or missing.`)
    t.equal(await boltsAt(sur), before + 1)
    t.equal(await stateAt(sur, id), 'closed')
    t.equal(await inTransit(), onTheRoad - 3, 'none of it on the road any more')
    t.notOk((await offered(sur.url)).includes(id), 'nothing is due back any more')
  }
)

t.test(
  'Norte undoes receipts Sur refused; a transfer with no step is said to have none',
  async (t) => {
    const [, norte] = await surAndNorte()
    const madeUp = '0f8e4c52-9a1b-4d2e-8c3f-5b6a7d8e9f02'
    const before = await boltsAt(norte)
    const receipt = { from: 'Sur', lines: [{ sku: 'BOLT-M8', received: 7 }], final: true }
    // Taken on trust while Sur is away (with Sur up, its ledger here would show the id is wrong).
    const sur = await whileSurIsAway(async () => {
      t.equal((await api(norte, 'POST', `/transfers/${madeUp}/receive`, receipt)).status, 200)
    })
    await delivered(norte, sur)
    const s = session(norte.url, [madeUp, 'wrong id on the note', true])
    await runAction(s.io, step)
    t.same(s.unused(), [])
    t.match(s.output(), 'Sur refused the receipts of this transfer')
    t.match(s.output(), `✔ Undid the receipts of transfer ${madeUp}`)
    t.equal(await boltsAt(norte), before)

    // Received in full at Norte: nothing to reject there, typed by its id.
    const id = await sent(2)
    const final = { lines: [{ sku: 'BOLT-M8', received: 2 }], final: true }
    t.equal((await api(norte, 'POST', `/transfers/${id}/receive`, final)).status, 200)
    const none = session(norte.url, [TYPE_ID, id])
    await runAction(none.io, step)
    t.same(none.unused(), [])
    t.match(none.output(), 'Nothing to reject, cancel or book back on it here: it is received')
  }
)
