import t from 'tap'
import type { Member } from '../../../db/contract/index.ts'
import { systemClock } from '../../../network/clock.ts'
import type { MemberStore } from '../../../network/membership/store.ts'
import { MemberView } from '../../../network/membership/view.ts'

const member = (id: string, state: Member['state'], incarnation: number): Member => ({
  id,
  name: id.toUpperCase(),
  address: `http://${id}`,
  state,
  incarnation,
  stateChangedAt: '2026-11-22T00:00:00.000Z',
  evidenceAt: null,
})

/** A store whose commits are released by the test, recording what was written. */
function heldDb() {
  const writes: Member[][] = []
  const held: (() => void)[] = []
  let fail = false
  const store = {
    apply: ({ members }: { members: Member[] }) =>
      new Promise<void>((resolve, reject) => {
        writes.push(members)
        held.push(() => (fail ? reject(new Error('DB_UNAVAILABLE')) : resolve()))
      }),
  } as unknown as MemberStore
  return {
    db: store,
    writes,
    release: () => held.splice(0).forEach((go) => go()),
    failNext: () => (fail = true),
  }
}

t.test('a change shows in the view only after its commit', async (t) => {
  const { db, writes, release } = heldDb()
  const view = new MemberView(db, 'me', systemClock)
  view.load([member('b', 'alive', 1)])
  const committing = view.commit([member('b', 'suspect', 1)])
  await new Promise((resolve) => setImmediate(resolve))
  t.equal(view.get('b')?.state, 'alive', 'not acted on while uncommitted')
  t.same(writes, [[member('b', 'suspect', 1)]])
  release()
  t.same(await committing, [member('b', 'suspect', 1)])
  t.equal(view.get('b')?.state, 'suspect')
})

t.test(
  'changes that arrive while a commit runs share the next one; news overtaken meanwhile is dropped',
  async (t) => {
    const { db, writes, release } = heldDb()
    const view = new MemberView(db, 'me', systemClock)
    view.load([member('b', 'alive', 1)])
    const first = view.commit([member('b', 'suspect', 1)])
    const second = view.commit([member('b', 'alive', 2), member('c', 'alive', 0)])
    const stale = view.commit([member('b', 'failed', 1)])
    release()
    await first
    await new Promise((resolve) => setImmediate(resolve))
    release()
    t.same(await second, [member('b', 'alive', 2), member('c', 'alive', 0)])
    t.same(await stale, [], 'failed@1 no longer news after alive@2')
    t.equal(writes.length, 2, 'two commits for three changes')
    t.same(
      view.all().map((m) => [m.id, m.state, m.incarnation]),
      [
        ['b', 'alive', 2],
        ['c', 'alive', 0],
      ]
    )
  }
)

t.test('a failed commit changes nothing and tells the caller', async (t) => {
  const { db, release, failNext } = heldDb()
  const view = new MemberView(db, 'me', systemClock)
  view.load([member('b', 'alive', 1)])
  failNext()
  const committing = view.commit([member('b', 'failed', 1)])
  release()
  await t.rejects(committing, { message: 'DB_UNAVAILABLE' })
  t.equal(view.get('b')?.state, 'alive')
})

t.test('turns evidence times into ages for the wire', async (t) => {
  const view = new MemberView(heldDb().db, 'me', systemClock)
  const tenSecondsAgo = new Date(Date.now() - 10_000).toISOString()
  const update = view.toUpdate({ ...member('b', 'failed', 1), evidenceAt: tenSecondsAgo })
  t.ok(
    update.evidenceAgeMs !== undefined &&
      update.evidenceAgeMs >= 10_000 &&
      update.evidenceAgeMs < 11_000
  )
  t.notOk('evidenceAgeMs' in view.toUpdate(member('b', 'alive', 1)))
})

t.test('an evidence age older than any date is taken as 1970, not thrown on', async (t) => {
  const view = new MemberView(heldDb().db, 'me', systemClock)
  const { evidenceAt: _at, ...suspect } = member('b', 'suspect', 1)
  const update = { ...suspect, evidenceAgeMs: Number.MAX_SAFE_INTEGER }
  t.equal(view.toRow(update).evidenceAt, '1970-01-01T00:00:00.000Z')
})
