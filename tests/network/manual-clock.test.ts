import t from 'tap'
import { ManualClock } from '../../network/manual-clock.ts'

t.test(
  'runs timers at their own time, in order, and lets each one’s work settle first',
  async (t) => {
    const clock = new ManualClock(1000)
    const ran: string[] = []
    clock.setTimeout(() => ran.push(`b at ${clock.now()}`), 20)
    clock.setTimeout(() => ran.push(`a at ${clock.now()}`), 10)
    clock.setTimeout(() => ran.push(`c at ${clock.now()}`), 20)
    clock.setTimeout(async () => {
      await Promise.resolve()
      // Set by work that a timer started: still run within the same advance, at its time.
      clock.setTimeout(() => ran.push(`d at ${clock.now()}`), 5)
    }, 10)
    const never = clock.setTimeout(() => ran.push('cancelled'), 15)
    clock.clearTimeout(never)
    await clock.advance(30)
    t.same(ran, ['a at 1010', 'd at 1015', 'b at 1020', 'c at 1020'])
    t.equal(clock.now(), 1030)
    t.equal(clock.pending, 0)
  }
)

t.test('a paused lane runs nothing while time passes, then runs what fell due, late', async (t) => {
  const clock = new ManualClock(0)
  const frozen = clock.lane('frozen')
  const other = clock.lane('other')
  const ran: string[] = []
  frozen.setTimeout(() => ran.push(`frozen timer at ${frozen.now()}`), 100)
  other.setTimeout(() => ran.push(`other timer at ${other.now()}`), 200)
  clock.pause('frozen')
  await clock.advance(5000)
  t.same(ran, ['other timer at 200'])
  clock.resume('frozen')
  await clock.advance(0)
  t.same(ran, ['other timer at 200', 'frozen timer at 5000'], '4.9 s late')
})
