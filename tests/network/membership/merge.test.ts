import { pino } from 'pino'
import t from 'tap'
import type { Member } from '../../../db/contract/index.ts'
import { systemClock } from '../../../network/clock.ts'
import { Merger } from '../../../network/membership/merge.ts'
import { nextIncarnation, type MemberUpdate } from '../../../network/membership/rules.ts'
import { MemberView } from '../../../network/membership/view.ts'
import { MemoryStore } from '../../fixtures/mock-cluster.ts'

const self: Member = {
  id: 'me',
  name: 'Me',
  address: 'http://127.0.0.1:1',
  state: 'left',
  incarnation: 4,
  stateChangedAt: '2026-11-22T00:00:00.000Z',
  evidenceAt: null,
}

const b: MemberUpdate = {
  id: 'b',
  name: 'B',
  address: 'http://127.0.0.1:2',
  state: 'alive',
  incarnation: 1,
}

function setUp(leaving: () => boolean, impostors: unknown[] = []) {
  const disk = new MemoryStore()
  const view = new MemberView(disk, self.id, systemClock)
  view.load([self])
  const spread: { members: Member[]; onDisk: boolean }[] = []
  const verified: MemberUpdate[] = []
  const merger = new Merger({
    view,
    clock: systemClock,
    log: pino({ level: 'silent' }),
    leaving,
    spread: (members) =>
      spread.push({
        members,
        onDisk: members.every((m) => disk.rows.get(m.id)?.incarnation === m.incarnation),
      }),
    detector: { verify: (accusation) => verified.push(accusation), track: () => undefined },
    impostor: (claim) => impostors.push(claim),
  })
  return { view, merger, spread, verified }
}

t.test(
  'a rise answered while news of the join arrives builds on the refutation: alive, newer than both',
  async (t) => {
    let leaving = true
    const { view, merger } = setUp(() => leaving)
    // The join through a member went out as "alive at 5"; the member spreads that news, and it
    // reaches this node (still out: it says left again, at 6) just as the join's answer brings
    // it back in.
    const news = merger.merge([{ ...self, state: 'alive', incarnation: 5 }], { from: 'seed' })
    const back = merger.writeSelf((current) => ({
      ...(current as Member),
      state: 'alive',
      incarnation: nextIncarnation((current as Member).incarnation),
    }))
    leaving = false
    await Promise.all([news, back])
    t.match(view.self, { state: 'alive' })
    t.ok(view.self.incarnation > 5, `newer than anything said meanwhile: ${view.self.incarnation}`)
  }
)

t.test(
  'news is committed before it is spread, and wrong news of this node is refuted to all',
  async (t) => {
    const { view, merger, spread } = setUp(() => false)
    await merger.writeSelf((current) => ({ ...(current as Member), state: 'alive' }))
    const applied = await merger.merge([b, { ...view.toUpdate(view.self), state: 'suspect' }], {
      from: 'b',
    })
    t.match(applied, [
      { id: 'b', state: 'alive' },
      { id: 'me', state: 'alive', incarnation: 5 },
    ])
    t.match(spread, [
      { members: [{ id: 'b' }], onDisk: true },
      { members: [{ id: 'me', incarnation: 5 }], onDisk: true },
    ])
    t.same(await merger.merge([b], { from: 'b' }), [], 'the same news again is no news')
  }
)

t.test('an accusation older than this node’s own word is checked, not believed', async (t) => {
  const { view, merger, verified } = setUp(() => false)
  await merger.writeSelf((current) => ({ ...(current as Member), state: 'alive' }))
  await merger.merge([b], { from: 'b' })
  view.heardFrom('b')
  const stale = { ...b, state: 'failed' as const, evidenceAgeMs: 60_000 }
  t.same(await merger.merge([stale], { from: 'c' }), [])
  t.same(verified, [stale], 'handed to the detector to ask B itself')
  t.equal(view.get('b')?.state, 'alive')
})

t.test(
  'news that this id is alive at another address, newer than its own word, is another process under it',
  async (t) => {
    const impostors: unknown[] = []
    const { view, merger } = setUp(() => false, impostors)
    await merger.writeSelf((current) => ({ ...(current as Member), state: 'alive' }))
    const own = view.toUpdate(view.self)
    const elsewhere = 'http://127.0.0.1:9'
    // A former address's record, failed or as old as this node's word: no one runs there.
    await merger.merge([{ ...own, address: elsewhere, state: 'failed', incarnation: 9 }])
    await merger.merge([{ ...own, address: elsewhere, incarnation: own.incarnation }])
    // The same address said alive anew: this node's own word, spread back.
    await merger.merge([{ ...own, incarnation: own.incarnation + 3 }], { from: 'b' })
    t.same(impostors, [], 'none of those')
    const claim = { ...own, address: elsewhere, incarnation: view.self.incarnation + 1 }
    await merger.merge([claim], { from: 'b' })
    t.same(impostors, [{ address: elsewhere, incarnation: claim.incarnation, from: 'b' }])
  }
)
