import { pino } from 'pino'
import t from 'tap'
import type { DbClient } from '../../../runtime/db-client.ts'
import { NodeMetrics } from '../../../runtime/metrics.ts'
import { createApp } from '../../../runtime/router.ts'
import { node, route, send } from '../../fixtures/app-kit.ts'
import { parseExposition, valueOf } from '../../fixtures/metrics-text.ts'

const REQUESTS = 'almacen_http_request_duration_seconds'

/** An app whose log lines are kept, with its metrics. */
function app() {
  const lines: { ms?: number; url?: string }[] = []
  const log = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) })
  const metrics = new NodeMetrics()
  const fetch = createApp(
    [
      route('get', '/things/:id', (request) => ({ id: request.params.id })),
      route('get', '/peer/ping', () => ({})),
    ],
    { db: {} as DbClient, log, node, membership: {} as never, events: {} as never, metrics }
  )
  const page = async () =>
    parseExposition(
      await metrics.exposition({ worker: null, members: [], replicas: null, lanes: [] })
    )
  return { fetch, lines, page }
}

t.test('a request counts under its route pattern, a made-up path under one label', async (t) => {
  const { fetch, page } = app()
  for (const id of ['a', 'b', 'c']) t.equal((await send(fetch, 'GET', `/things/${id}`)).status, 200)
  t.equal((await send(fetch, 'GET', '/things')).status, 404)
  t.equal((await send(fetch, 'DELETE', '/things/a')).status, 405)
  t.equal((await send(fetch, 'GET', '/peer/nothing-here')).status, 401)
  const found = await page()
  const count = (method: string, route: string, status: string) =>
    valueOf(found, `${REQUESTS}_count`, { method, route, status })
  t.equal(count('GET', '/things/:id', '200'), 3)
  t.equal(count('GET', 'unmatched', '404'), 1)
  t.equal(count('DELETE', 'unmatched', '405'), 1, 'a wrong method matches no route either')
  t.equal(count('GET', 'unmatched', '401'), 1, "a peer route this node lacks: the peers' catch-all")
})

t.test('the time counted is the time the log line gives: measured once', async (t) => {
  const { fetch, lines, page } = app()
  await send(fetch, 'GET', '/things/x')
  const logged = lines.find((l) => l.url === '/things/x')?.ms as number
  const sum = valueOf(await page(), `${REQUESTS}_sum`, {
    method: 'GET',
    route: '/things/:id',
    status: '200',
  }) as number
  t.equal(Math.round(sum * 10_000) / 10, logged, `${logged} ms in both`)
})
