import t from 'tap'
import handler from '../../../../handlers/members/[id]/force-leave.post.ts'
import type { Member } from '../../../../db/contract/index.ts'
import { fakeCtx, request, settle } from '../../../fixtures/handler-kit.ts'

const row = (id: string, name: string, state: Member['state']) =>
  ({ id, name, state, incarnation: 4, address: 'http://10.0.0.9:8080' }) as Member

function membership(members: Member[], forced: string[]) {
  return {
    opened: true,
    snapshot: () => ({ members, participating: true }),
    forceLeave: async (id: string) => {
      forced.push(id)
      const member = members.find((m) => m.id === id)!
      if (member.state !== 'failed') {
        return {
          ok: false as const,
          reason: member.state,
          text: `${member.name} is ${member.state}`,
        }
      }
      return {
        ok: true as const,
        member: { ...member, state: 'left' as const },
        acked: ['b'],
        missed: [],
      }
    },
  }
}

const post = (id: string) =>
  request('POST', `/members/${encodeURIComponent(id)}/force-leave`, { params: { id } })

t.test(
  'forces out a failed member named by its warehouse name, and says who was told',
  async (t) => {
    const forced: string[] = []
    const ctx = fakeCtx({}, membership([row('n-1', 'Sevilla', 'failed')], forced))
    const { status, body } = await settle(await handler(post('Sevilla'), ctx))
    t.same(
      [status, body],
      [
        200,
        {
          member: { id: 'n-1', name: 'Sevilla', state: 'left', incarnation: 4 },
          acknowledgedBy: ['b'],
          missed: [],
        },
      ]
    )
    t.same(forced, ['n-1'])
  }
)

t.test('refuses a member that is not failed with 409 and the reason', async (t) => {
  const ctx = fakeCtx({}, membership([row('n-1', 'Sevilla', 'alive')], []))
  await t.rejects(handler(post('n-1'), ctx), {
    status: 409,
    code: 'CONFLICT',
    message: 'Sevilla is alive',
  })
})

t.test('an unknown member is 404, and a name two members share asks for the id', async (t) => {
  const forced: string[] = []
  const members = [row('n-1', 'Sevilla', 'failed'), row('n-2', 'Sevilla', 'alive')]
  const ctx = fakeCtx({}, membership(members, forced))
  await t.rejects(handler(post('Bilbao'), ctx), { status: 404, code: 'NOT_FOUND' })
  await t.rejects(handler(post('Sevilla'), ctx), {
    status: 409,
    message: '2 members are named Sevilla: give its id',
  })
  t.same(forced, [], 'nothing was forced out')
})
