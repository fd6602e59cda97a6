import t from 'tap'
import handler from '../../../handlers/events/index.get.ts'
import { assertRefused, fakeCtx, request, settle } from '../../fixtures/handler-kit.ts'

const event = (seq: number) => ({
  seq,
  type: 'item.created' as const,
  subject: 'BOLT-M8',
  data: { sku: 'BOLT-M8' },
  createdAt: '2026-11-30T10:00:00.000Z',
})

t.test('pages the log from a seq, and says where the next page starts', async (t) => {
  const ctx = fakeCtx({ 'events.list': () => ({ events: [event(8), event(9)], head: 12 }) })
  const { status, body } = await settle(
    await handler(
      request('GET', '/events?after=7&limit=2&types=item.created,movement.recorded'),
      ctx
    )
  )
  t.equal(status, 200)
  t.same(body, { events: [event(8), event(9)], head: 12, nextAfter: 9 })
  t.same(ctx.sent[0].payload, {
    after: 7,
    limit: 2,
    types: ['item.created', 'movement.recorded'],
  })
})

t.test('an empty page keeps its place: the next page starts where this one did', async (t) => {
  const ctx = fakeCtx({ 'events.list': () => ({ events: [], head: 12 }) })
  const { body } = await settle(await handler(request('GET', '/events?after=12'), ctx))
  t.same(body, { events: [], head: 12, nextAfter: 12 })
  t.same(ctx.sent[0].payload, { after: 12, limit: 100, types: undefined })
})

t.test(
  'refuses a negative seq, a seq not in digits, a limit over 500 and an unknown parameter',
  async (t) => {
    for (const [query, path] of [
      ['after=-1', 'after'],
      ['limit=501', 'limit'],
      ['since=3', 'since'],
      // Numbers to JavaScript, not positions anyone wrote: 1e3 read as 1000 skipped 1000 events.
      ['after=1e3', 'after'],
      ['after=0x2a', 'after'],
      ['after=', 'after'],
      ['limit=+5', 'limit'],
    ]) {
      await assertRefused(t, handler, request('GET', `/events?${query}`), {
        status: 400,
        code: 'VALIDATION_FAILED',
        details: [{ path }],
      })
    }
  }
)

t.test('refuses a type the log does not record, naming it and the ones it does', async (t) => {
  await assertRefused(t, handler, request('GET', '/events?types=item.created,movement.recoded'), {
    status: 400,
    code: 'VALIDATION_FAILED',
    details: [
      {
        path: 'types',
        message:
          'names no event type the log records: movement.recoded (it records movement.recorded, item.created, item.updated, member.changed, transfer.changed)',
      },
    ],
  })
})

t.test('refuses a list of types that names none, which would match nothing', async (t) => {
  for (const query of ['types=', 'types=,', 'types=%20,%20']) {
    await assertRefused(t, handler, request('GET', `/events?${query}`), {
      status: 400,
      code: 'VALIDATION_FAILED',
      details: [
        {
          path: 'types',
          message:
            'names no event type (it records movement.recorded, item.created, item.updated, member.changed, transfer.changed); leave it out for every type',
        },
      ],
    })
  }
})
