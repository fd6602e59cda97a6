import t from 'tap'
import handler from '../../../handlers/peer/transfer-messages.post.ts'
import { fakeCtx, refusal, request } from '../../fixtures/handler-kit.ts'

const message = (id: string) => ({
  id,
  kind: 'transfer.cancel_requested',
  transferId: 't-1',
  createdAt: '2026-12-01T10:00:00.000Z',
  payload: { reason: 'wrong truck' },
})

function signedCtx(answer = (ids: string[]) => ids.map((id) => ({ id, status: 'applied' }))) {
  const ctx = fakeCtx({
    'transfers.inboxV2': ({ messages }) => ({
      results: answer(messages.map((m) => m.id)) as never,
      enqueued: true,
    }),
  })
  return Object.assign(ctx, { peer: 'node-a' })
}

const post = (body: unknown) => request('POST', '/peer/transfer-messages', { body })

t.test('hands the messages to the inbox as sent by the node that signed them', async (t) => {
  const ctx = signedCtx()
  const answer = await handler(
    post({ fromName: 'A', messages: [message('m1'), message('m2')], from: 'node-z', newer: 1 }),
    ctx
  )
  t.same(
    answer,
    {
      results: [
        { id: 'm1', status: 'applied' },
        { id: 'm2', status: 'applied' },
      ],
    },
    'the results alone: whether this node answered in its outbox is its own business'
  )
  t.same(
    ctx.sent,
    [
      {
        op: 'transfers.inboxV2',
        payload: { from: 'node-a', fromName: 'A', messages: [message('m1'), message('m2')] },
        options: undefined,
      },
    ],
    'the sender is the signer, never a field of the body; unknown top-level fields are dropped'
  )
})

t.test('refuses an unsigned request and a malformed batch, asking the inbox nothing', async (t) => {
  await t.rejects(
    async () => handler(post({ fromName: 'A', messages: [message('m1')] }), fakeCtx()),
    {
      status: 401,
      code: 'UNAUTHENTICATED',
    }
  )
  const many = Array.from({ length: 101 }, (_, i) => message(`m${i}`))
  for (const body of [
    { fromName: 'A', messages: [] },
    { fromName: 'A', messages: many },
    { messages: [message('m1')] },
    { fromName: 'A', messages: [{ ...message('m1'), kind: 'transfer.stolen' }] },
    { fromName: 'A', messages: [{ ...message('m1'), to: 'node-z' }] },
    { fromName: 'A', messages: [{ ...message('m1'), id: '' }] },
  ]) {
    const ctx = signedCtx()
    await t.rejects(async () => handler(post(body), ctx), {
      status: 400,
      code: 'VALIDATION_FAILED',
    })
    t.same(ctx.sent, [])
  }
})

t.test('the inbox’s refusal of the whole batch is the answer’s status', async (t) => {
  const ctx = Object.assign(
    fakeCtx({
      'transfers.inboxV2': () => {
        throw refusal('DB_UNAVAILABLE', 'The database worker is unavailable (restarting)')
      },
    }),
    { peer: 'node-a' }
  )
  await t.rejects(async () => handler(post({ fromName: 'A', messages: [message('m1')] }), ctx), {
    status: 503,
    code: 'DB_UNAVAILABLE',
  })
})
