// The suspicion timers (network/membership/suspicion.ts) on a fake clock: a silent suspect is
// failed only by its timer, so every suspect the view holds is timed once timing starts.
import t from 'tap'
import type { Member } from '../../../db/contract/index.ts'
import { ManualClock } from '../../../network/manual-clock.ts'
import { Suspicions } from '../../../network/membership/suspicion.ts'
import type { MemberView } from '../../../network/membership/view.ts'

const suspect: Member = {
  id: 'b',
  name: 'B',
  address: 'http://127.0.0.1:9',
  state: 'suspect',
  incarnation: 3,
  evidenceAt: null,
  stateChangedAt: '2026-12-01T00:00:00.000Z',
} as Member

function timed(held = suspect) {
  const clock = new ManualClock()
  let now = held
  const view = {
    all: () => [now],
    get: (id: string) => (id === now.id ? now : undefined),
    contact: () => undefined,
  } as unknown as MemberView
  const failed: string[] = []
  const suspicions = new Suspicions({
    view,
    clock,
    timing: { suspicionMs: 1000, lateMs: 500, probeIntervalMs: 100, probeTimeoutMaxMs: 200 },
    expired: (member) => failed.push(member.id),
  })
  const becomes = (member: Member) => (now = member)
  return { clock, suspicions, failed, becomes }
}

// One suspect held: a probe round for it (an interval, a direct and an indirect probe at their
// longest: 100 + 2 × 200 ms) is added to the 1,000 ms period.
t.test(
  'a suspect the view holds when timing starts is failed after the period and a round of probes',
  async (t) => {
    const { clock, suspicions, failed } = timed()
    suspicions.start() // a start with the suspect loaded from the store
    await clock.advance(1499)
    t.same(failed, [], 'not before: its own probe may reach it first, and it refutes')
    await clock.advance(1)
    t.same(failed, ['b'])
  }
)

t.test('a stop and a start (a leave, then a join) leave no suspect untimed', async (t) => {
  const { clock, suspicions, failed } = timed()
  suspicions.start()
  suspicions.stop()
  await clock.advance(5000)
  t.same(failed, [], 'nothing while stopped')
  suspicions.start()
  await clock.advance(1500)
  t.same(failed, ['b'])
})

t.test('suspected again at a newer incarnation: timed from then, not dropped', async (t) => {
  const { clock, suspicions, failed, becomes } = timed()
  suspicions.start() // suspect@3, timed for 1,500 ms
  await clock.advance(400)
  // It refuted elsewhere, was suspected again there at 4, and this node hears so.
  const again = becomes({ ...suspect, incarnation: 4 })
  suspicions.track(again)
  await clock.advance(999)
  t.same(failed, [], 'a whole period for the new suspicion')
  await clock.advance(1)
  t.same(failed, ['b'], 'failed a period after it was suspected again')
  await clock.advance(5000)
  t.same(failed, ['b'], 'once')
})
