import t from 'tap'
import handler from '../../../handlers/network/lanes.get.ts'
import type { LaneList } from '../../../api/index.ts'
import type { LaneStatus } from '../../../network/index.ts'
import { fakeCtx, request } from '../../fixtures/handler-kit.ts'

const lane = (peer: string, fields: Partial<LaneStatus> = {}): LaneStatus => ({
  peer,
  name: peer.toUpperCase(),
  delivered: 3,
  refused: 0,
  failures: 0,
  lastError: null,
  nextAttemptAt: null,
  ...fields,
})

t.test(
  "each peer's lane with the messages waiting for it, and a peer with messages but no lane yet",
  async (t) => {
    const ctx = fakeCtx(
      {
        'outbox.depth': () => ({
          outbox: [
            { peer: 'b', pending: 4 },
            { peer: 'c', pending: 2 },
          ],
        }),
      },
      {
        snapshot: () => ({
          participating: true,
          members: [{ id: 'c', name: 'C' }] as never,
        }),
      }
    )
    const failing = {
      failures: 2,
      lastError: 'connection refused',
      nextAttemptAt: '2026-12-01T06:00:00.000Z',
    }
    ctx.relay = { wake: () => undefined, peers: () => [lane('a'), lane('b', failing)] }
    const body = (await handler(request('GET', '/network/lanes'), ctx)) as LaneList
    t.same(body.lanes, [
      { ...lane('a'), pending: 0 },
      { ...lane('b', failing), pending: 4 },
      {
        peer: 'c',
        name: 'C',
        pending: 2,
        delivered: 0,
        refused: 0,
        failures: 0,
        lastError: null,
        nextAttemptAt: null,
      },
    ])
    t.same(ctx.sent, [{ op: 'outbox.depth', payload: {}, options: undefined }])
  }
)
