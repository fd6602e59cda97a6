import t from 'tap'
import handler from '../../../handlers/members/join.post.ts'
import { fakeCtx, request, settle } from '../../fixtures/handler-kit.ts'

const post = (body: unknown) => request('POST', '/members/join', { body })
const peer = {
  id: 'b',
  name: 'B',
  address: 'http://10.0.0.3:8080',
  state: 'alive' as const,
  incarnation: 1,
}

t.test('joins through the given addresses and answers with the member list', async (t) => {
  const asked: string[][] = []
  const ctx = fakeCtx(
    {},
    {
      canTalk: true,
      join: async (addresses: string[]) => {
        asked.push(addresses)
        return [
          { address: addresses[0], ok: false, reason: 'refused' },
          { address: addresses[1], ok: true },
        ]
      },
      list: () => ({ self: {} as never, members: [peer] }),
    }
  )
  const { status, body } = await settle(
    await handler(post({ addresses: ['http://10.0.0.2:8080/', 'http://10.0.0.3:8080'] }), ctx)
  )
  t.equal(status, 200)
  t.match(body, { joined: true, outcomes: [{ ok: false }, { ok: true }] })
  t.same((body as { members: unknown }).members, [peer])
  t.same(asked, [['http://10.0.0.2:8080', 'http://10.0.0.3:8080']], 'trailing slashes dropped')
})

t.test('answers 502 naming each address when none could be joined', async (t) => {
  const ctx = fakeCtx(
    {},
    {
      canTalk: true,
      join: async (a: string[]) =>
        a.map((address) => ({ address, ok: false, reason: 'timeout: no answer in time' })),
    }
  )
  await t.rejects(async () => handler(post({ addresses: ['http://10.0.0.9:8080'] }), ctx), {
    status: 502,
    code: 'PEER_UNREACHABLE',
    message: /http:\/\/10\.0\.0\.9:8080: timeout/,
  })
})

t.test(
  'refuses a body without addresses, or one that is not a member address: credentials, a path, a query, a fragment, no such port',
  async (t) => {
    for (const body of [
      {},
      { addresses: [] },
      { addresses: ['10.0.0.2'] },
      { addresses: ['ftp://x'] },
      { addresses: ['http://a'], extra: 1 },
      { addresses: ['http://user:secret@10.0.0.2:8080'] },
      { addresses: ['http://10.0.0.2:8080/admin'] },
      { addresses: ['http://10.0.0.2:8080?x=1'] },
      { addresses: ['http://10.0.0.2:8080#here'] },
      { addresses: ['http://10.0.0.2:99999'] },
    ]) {
      await t.rejects(
        async () => handler(post(body), fakeCtx()),
        { status: 400, code: 'VALIDATION_FAILED' },
        JSON.stringify(body)
      )
    }
  }
)

t.test('refuses to join without a cluster key, saying how to set one', async (t) => {
  const ctx = fakeCtx({}, { canTalk: false, join: async () => [] })
  await t.rejects(async () => handler(post({ addresses: ['http://10.0.0.2:8080'] }), ctx), {
    status: 409,
    code: 'NO_CLUSTER_KEY',
    message: /set ALMACEN_CLUSTER_KEY/,
  })
})
