// The request line says who asked (address, user or peer) and a refusal's code, and never the
// token: what an admin reads when something goes wrong.
import { pino } from 'pino'
import t from 'tap'
import { api, startTestNode } from '../fixtures/test-node.ts'
import { tokenOf } from '../fixtures/tokens.ts'

t.test('a request line names the client, the user and the code, never a token', async (t) => {
  const lines: any[] = []
  const text: string[] = []
  const log = pino(
    { level: 'info' },
    {
      write: (line: string) => {
        text.push(line)
        lines.push(JSON.parse(line))
      },
    }
  )
  const node = await startTestNode(t, {
    name: 'Madrid',
    logLevel: 'info',
    log,
    trustedProxies: ['127.0.0.1'],
  })
  await api(node, 'GET', '/stock')
  await api(node, 'GET', '/stock', undefined, { authorization: 'Bearer almacen_wrong' })
  await api(node, 'GET', '/stock', undefined, { 'x-forwarded-for': '6.6.6.6, 192.168.7.20' })
  const requests = lines.filter((l) => l.msg === 'request' && l.url === '/stock')
  t.match(requests, [
    { status: 200, client: '127.0.0.1', user: 'admin' },
    { status: 401, client: '127.0.0.1', code: 'UNAUTHENTICATED' },
    { status: 200, client: '192.168.7.20', user: 'admin' },
  ])
  t.notOk(requests[1].user, 'no user for a token that did not check out')
  const all = text.join('')
  t.notMatch(all, tokenOf(node.url) as string, 'the admin token appears nowhere in the log')
  t.notMatch(all, 'almacen_wrong', 'nor a wrong one')
})
