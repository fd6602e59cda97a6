import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { TimerLateness } from '../../runtime/timer-lateness.ts'

/** Holds the event loop, as a long synchronous task or a starved process does. */
function hold(ms: number): void {
  const until = performance.now() + ms
  while (performance.now() < until) {
    // busy
  }
}

t.test(
  'says how late the timers fired while the loop was held, and nothing once closed',
  async (t) => {
    const lateness = new TimerLateness()
    t.equal(lateness.p99Ms(), 0, 'not watching yet: nothing known')
    await lateness.open()
    t.teardown(() => lateness.close())
    await sleep(50)
    hold(300)
    // The tick that was due during the hold comes now, about 250 ms late (a tick every 50 ms).
    await sleep(30)
    t.ok(lateness.p99Ms() >= 200, `held 300 ms: ${lateness.p99Ms()} ms late`)
    await lateness.close()
    t.equal(lateness.p99Ms(), 0, 'closed: nothing watched, nothing said')
  }
)
