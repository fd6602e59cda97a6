import { pino } from 'pino'
import t from 'tap'
import { Services, type Service } from '../../runtime/services.ts'

function service(name: string, events: string[], fail: { open?: boolean; close?: boolean } = {}) {
  return {
    name,
    async open({ advertise }) {
      events.push(`open ${name} at ${advertise}`)
      if (fail.open) throw new Error(`${name} cannot open`)
    },
    async close() {
      events.push(`close ${name}`)
      if (fail.close) throw new Error(`${name} cannot close`)
    },
  } satisfies Service
}

t.test('opens services in order and closes them in reverse, each once', async (t) => {
  const events: string[] = []
  const services = new Services(
    [service('transport', events), service('membership', events)],
    pino({ level: 'silent' })
  )
  await services.open({ advertise: 'http://10.0.0.1:8080' })
  await services.close()
  await services.close()
  t.same(events, [
    'open transport at http://10.0.0.1:8080',
    'open membership at http://10.0.0.1:8080',
    'close membership',
    'close transport',
  ])
})

t.test(
  'a service that fails to open closes those already open, and the error is thrown',
  async (t) => {
    const events: string[] = []
    const services = new Services(
      [
        service('transport', events),
        service('membership', events, { open: true }),
        service('relay', events),
      ],
      pino({ level: 'silent' })
    )
    await t.rejects(services.open({ advertise: 'http://x:1' }), {
      message: 'membership cannot open',
    })
    t.same(events, [
      'open transport at http://x:1',
      'open membership at http://x:1',
      'close transport',
    ])
  }
)

t.test('a service that fails to close is logged, and the others still close', async (t) => {
  const events: string[] = []
  const lines: { msg: string; service?: string }[] = []
  const log = pino({ level: 'warn' }, { write: (line: string) => lines.push(JSON.parse(line)) })
  const services = new Services(
    [service('transport', events), service('membership', events, { close: true })],
    log
  )
  await services.open({ advertise: 'http://x:1' })
  await services.close()
  t.same(events.slice(2), ['close membership', 'close transport'])
  t.match(lines, [{ msg: 'a service did not close cleanly', service: 'membership' }])
})
