// A signal that ends a wait when any of several does, leaving nothing on a long-lived source.
import { getEventListeners } from 'node:events'
import t from 'tap'
import { anySignal } from '../../runtime/signals.ts'

/** How many listeners `signal` holds for 'abort'. */
const listeners = (signal: AbortSignal) => getEventListeners(signal, 'abort').length

t.test('aborts when any source does, and leaves no listener on the others', async (t) => {
  const [a, b] = [new AbortController(), new AbortController()]
  const { signal } = anySignal([a.signal, b.signal])
  t.equal([listeners(a.signal), listeners(b.signal)].join(), '1,1')
  b.abort()
  t.ok(signal.aborted)
  t.equal(listeners(a.signal), 0, 'the one that did not abort is let go')
})

t.test('released, the sources hold nothing of it: a long-lived source stays clean', async (t) => {
  const stopping = new AbortController()
  for (let i = 0; i < 1000; i++) {
    const request = new AbortController()
    const waiting = anySignal([stopping.signal, request.signal])
    waiting.release()
  }
  t.equal(listeners(stopping.signal), 0)
  const { signal } = anySignal([stopping.signal])
  stopping.abort()
  t.ok(signal.aborted, 'and one not yet released still follows it')
})

t.test('a source already aborted: aborted at once, nothing listened to', async (t) => {
  const [done, other] = [new AbortController(), new AbortController()]
  done.abort()
  const { signal, release } = anySignal([other.signal, done.signal])
  t.ok(signal.aborted)
  t.equal(listeners(other.signal), 0)
  release()
})
