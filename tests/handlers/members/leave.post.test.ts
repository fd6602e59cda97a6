import t from 'tap'
import handler from '../../../handlers/members/leave.post.ts'
import { fakeCtx, request, settle } from '../../fixtures/handler-kit.ts'

t.test('leaves for good (no rejoin at restart) and reports who acknowledged', async (t) => {
  const calls: boolean[] = []
  const ctx = fakeCtx(
    {},
    {
      leave: async ({ rejoin }: { rejoin: boolean }) => {
        calls.push(rejoin)
        return { acked: ['a', 'b'], missed: ['c'] }
      },
    }
  )
  const { status, body } = await settle(await handler(request('POST', '/members/leave'), ctx))
  t.same(
    [status, body],
    [200, { left: true, alreadyLeft: false, acknowledgedBy: ['a', 'b'], missed: ['c'] }]
  )
  t.same(calls, [false])
})
