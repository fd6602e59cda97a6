// What a request's log line says, and at which level: what people do at info; what a monitoring
// system polls (/health, /metrics) at debug while it answers 2xx, and at info once it does not.
import { pino } from 'pino'
import t from 'tap'
import type { DbClient } from '../../../runtime/db-client.ts'
import { HttpError } from '../../../runtime/errors.ts'
import { createApp } from '../../../runtime/router.ts'
import { node, route, send } from '../../fixtures/app-kit.ts'

t.test('polled routes log at debug while they answer 2xx; the rest at info', async (t) => {
  const lines: { level: number; url: string; status: number }[] = []
  const log = pino({ level: 'debug' }, { write: (line: string) => lines.push(JSON.parse(line)) })
  let healthy = true
  const fetch = createApp(
    [
      route('get', '/health', () => {
        if (!healthy) throw new HttpError('NOT_READY', 'the database worker is not running')
        return { status: 'ok' }
      }),
      route('get', '/metrics', () => ({})),
      route('get', '/stock', () => ({})),
    ],
    { db: {} as DbClient, log, node, membership: {} as never, events: {} as never }
  )
  await send(fetch, 'GET', '/health')
  await send(fetch, 'GET', '/metrics?x=1')
  await send(fetch, 'GET', '/stock')
  healthy = false
  await send(fetch, 'GET', '/health')
  const levels = lines.filter((l) => l.url).map((l) => [l.url, l.status, l.level])
  t.same(levels, [
    ['/health', 200, 20],
    ['/metrics?x=1', 200, 20],
    ['/stock', 200, 30],
    ['/health', 503, 30],
  ])
})
