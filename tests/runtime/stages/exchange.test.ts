import t from 'tap'
import type { IRequest } from 'itty-router'
import {
  inOrder,
  inOrderFinally,
  openExchange,
  type Stage,
} from '../../../runtime/stages/exchange.ts'

const request = new Request('http://127.0.0.1:9300/peer/ping') as unknown as IRequest

t.test('an exchange knows at once whether the request is for a peer route', async (t) => {
  t.equal(openExchange(request).toPeer, true)
  t.equal(openExchange(new Request('http://127.0.0.1:9300/peers')).toPeer, false)
  t.equal(openExchange(new Request('http://127.0.0.1:9300/stock?x=/peer/')).toPeer, false)
})

t.test('stages run in order, and none starts before a slower one before it is done', async (t) => {
  const ran: string[] = []
  let release: () => void = () => {}
  const slow: Stage = () =>
    new Promise<void>((resolve) => (release = resolve)).then(() => {
      ran.push('slow')
    })
  const stage = inOrder([() => void ran.push('first'), slow, () => void ran.push('last')])
  const done = stage(request, openExchange(request))
  t.same(ran, ['first'], 'the synchronous stages before the slow one ran at once')
  await Promise.resolve()
  t.same(ran, ['first'], 'the stage after it waits for it')
  release()
  await done
  t.same(ran, ['first', 'slow', 'last'])
  t.equal(inOrder([() => void ran.push('sync')])(request, openExchange(request)), undefined)
})

t.test('a stage that refuses stops the stages after it, thrown or rejected', async (t) => {
  const ran: string[] = []
  const refuse = () => {
    throw new Error('refused')
  }
  const reject = async () => {
    throw new Error('rejected')
  }
  const after = () => void ran.push('after')
  t.throws(() => inOrder([refuse, after])(request, openExchange(request)), { message: 'refused' })
  await t.rejects(async () => inOrder([reject, after])(request, openExchange(request)), {
    message: 'rejected',
  })
  t.same(ran, [])
})

t.test('the final stages hand the answer on, each to the next, awaited where needed', async (t) => {
  const stage = inOrderFinally([
    (response) => new Response(`${response.status}`, { status: 201 }),
    async (response) => new Response(`${await response.text()}+async`, { status: 202 }),
    (response) => (response.headers.set('x-last', 'yes'), response),
  ])
  const answer = await stage(new Response(null, { status: 200 }), request, openExchange(request))
  t.same(
    [answer.status, await answer.text(), answer.headers.get('x-last')],
    [202, '200+async', 'yes']
  )
})
