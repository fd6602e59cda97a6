// `almacen queues`, `almacen post` and `almacen take` against a real node.
import t from 'tap'
import {
  createQueueInteractively,
  deadLetters,
  deleteQueueInteractively,
  listQueues,
  peekQueue,
  publishInteractively,
} from '../../../client/commands/messages.ts'
import { almacen, closedPort, session } from '../../fixtures/client-kit.ts'
import { until } from '../../fixtures/node-process.ts'
import { api, startTestNode } from '../../fixtures/test-node.ts'

t.test('make a queue, publish to it once, look, take and acknowledge, purge, delete', async (t) => {
  const node = await startTestNode(t)
  const at = ['--url', node.url]
  t.equal((await almacen(['queues', 'create', 'orders', ...at])).code, 0)
  t.same(await almacen(['post', 'orders', '{"order":1}', '--id', 'o-1', ...at]), {
    code: 0,
    stdout: '✔ Published o-1 to orders (message 1).\n',
    stderr: '',
  })
  t.same(await almacen(['post', 'orders', '{"order":1}', '--id', 'o-1', ...at]), {
    code: 0,
    stdout: 'Already published as o-1 (message 1): taken once, nothing new.\n',
    stderr: '',
  })
  t.equal((await almacen(['post', 'orders', '"two"', ...at])).code, 0)
  t.match(await almacen(['queues', ...at]), {
    code: 0,
    stdout: /QUEUE\s+READY\s+DELAYED\s+IN FLIGHT\s+DEAD\n.*orders\s+2\s+0\s+0\s+0\n/s,
  })

  // Looked at as often as anyone likes: nothing taken, hidden or counted.
  for (let i = 0; i < 6; i++) {
    const peeked = await almacen(['peek', 'orders', ...at])
    const lines = peeked.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
    t.match(
      lines,
      [
        { id: 'o-1', body: { order: 1 }, deliveries: 0 },
        // Sent with a key, which the client's own retries reuse: its id is made from it.
        { id: /^key:[\w-]{32}$/, body: 'two', deliveries: 0 },
      ],
      `peek ${i + 1}: both, in order, never delivered`
    )
    t.equal(lines.length, 2)
  }
  t.match(await almacen(['queues', ...at]), { stdout: /orders\s+2\s+0\s+0\s+0\n/ })
  t.match(await almacen(['peek', 'orders', '--max', '0', ...at]), {
    code: 2,
    stderr: /--max must be from 1 to 100, not 0/,
  })
  // In seconds, as the flag says, not in the node's milliseconds.
  t.match(await almacen(['take', 'orders', '--wait', '100', ...at]), {
    code: 2,
    stderr: /--wait must be at most 20, not 100/,
  })

  const looked = await almacen(['take', 'orders', '--max', '1', ...at])
  t.match(JSON.parse(looked.stdout), { id: 'o-1', body: { order: 1 }, deliveries: 1 })
  const taken = await almacen(['take', 'orders', '--max', '10', '--ack', ...at])
  t.same(
    taken.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line).body),
    ['two'],
    'the borrowed one stays hidden; the other is taken'
  )
  t.match(taken.stderr, /Acknowledged 1\./)

  t.match(await almacen(['post', 'orders', 'not json', ...at]), {
    code: 2,
    stderr: /JSON is not JSON: not json/,
  })
  t.match(await almacen(['take', 'orders', '--max', 'lots', ...at]), {
    code: 2,
    stderr: /--max must be a whole number, not "lots"/,
  })
  t.match(await almacen(['post', 'nope', '1', ...at]), {
    code: 1,
    stderr: /^almacen: No queue named nope \(NOT_FOUND\)\n$/,
  })
  await api(node, 'POST', '/topics', { name: 'picking.sevilla' })
  t.same(await almacen(['post', 'picking.sevilla', '{"order":3}', ...at]), {
    code: 1,
    stdout: '',
    stderr:
      'almacen: picking.sevilla is a topic: publish to it with --topic\nalmacen: No queue named picking.sevilla (NOT_FOUND)\n',
  })
  t.same(
    (await almacen(['queues', 'purge', 'orders', ...at])).stdout,
    '✔ Purged 1 messages from orders.\n'
  )
  t.same(
    (await almacen(['queues', 'delete', 'orders', ...at])).stdout,
    '✔ Deleted orders and orders.dead.\n'
  )
})

t.test(
  'take --wait longer than --timeout waits as asked, not reported as a node that does not answer',
  async (t) => {
    const node = await startTestNode(t)
    const at = ['--url', node.url]
    t.equal((await almacen(['queues', 'create', 'orders', ...at])).code, 0)
    const started = Date.now()
    const waited = await almacen(['take', 'orders', '--wait', '2', '--timeout', '1.5', ...at])
    const took = Date.now() - started
    t.match(waited, { code: 0, stdout: '', stderr: /No message in orders\./ })
    t.ok(took >= 1900, `it waited the 2 s asked (${took} ms), beyond the 1.5 s --timeout`)
  }
)

t.test(
  '--max, --wait and --delay take digits alone: 1e3, 0x10, " 7 " and "" are usage errors, nothing sent',
  async (t) => {
    // A node that is not there: anything sent would end in exit 3, not 2.
    const at = ['--url', await closedPort(), '--timeout', '0.5']
    for (const text of ['1e3', '0x10', ' 7 ', '', '7.0', '+7', '-1']) {
      for (const args of [
        ['take', 'orders', '--max', text],
        ['take', 'orders', '--wait', text],
        ['peek', 'orders', '--max', text],
        ['post', 'orders', '1', '--delay', text],
      ]) {
        const run = await almacen([...args, ...at])
        t.match(
          run,
          { code: 2, stderr: `${args.at(-2)} must be a whole number, not "${text}"` },
          args.join(' ')
        )
      }
    }
  }
)

t.test('Messages menu: make a queue, publish, look, dead letters, delete', async (t) => {
  const node = await startTestNode(t)
  const made = session(node.url, ['labels'])
  await createQueueInteractively(made.io)
  t.same(made.lines, ['✔ Made labels, and labels.dead for its dead letters.'])

  // Shown and confirmed before it is sent; a no sends nothing.
  const withdrawn = session(node.url, ['labels', '{"sku":"BOLT-M8"}', 'l-0', false])
  await publishInteractively(withdrawn.io)
  t.same(withdrawn.lines, ['  Nothing published.'])
  t.match((await api(node, 'GET', '/queues/labels')).body, { depth: 0 }, 'nothing was sent')
  // A subscription's queue takes its topics' messages only: it is not offered.
  t.equal((await api(node, 'POST', '/topics/stock.%3E/subscriptions', { name: 'erp' })).status, 201)
  const published = session(node.url, ['labels', '{"sku":"BOLT-M8"}', 'l-1', true])
  const offered: unknown[] = []
  const asked = published.io.prompts
  published.io.prompts = ((question: { choices?: { value: unknown }[] }, ...rest: unknown[]) => {
    offered.push(...(question.choices ?? []).map((c) => c.value))
    return (asked as (...args: unknown[]) => unknown)(question, ...rest)
  }) as unknown as typeof asked
  await publishInteractively(published.io)
  t.same(published.unused(), [])
  t.same(published.lines, ['✔ Published l-1 to labels (message 1).'])
  t.same(offered, ['labels'], 'labels offered, erp not')

  const looked = session(node.url, ['labels'])
  await peekQueue(looked.io)
  t.match(looked.output(), /#1 l-1 · .* · delivered 0×\n {4}\{"sku":"BOLT-M8"\}/)
  t.match(
    (await api(node, 'GET', '/queues/labels')).body,
    { ready: 1, inFlight: 0 },
    'nothing taken'
  )

  // Every queue has a dead-letter queue: none with a letter in it is offered.
  const none = session(node.url, [])
  await deadLetters(none.io)
  t.same(none.lines, ['  No queue has dead letters.'])

  // Make one dead: delivered once without an ack, with one delivery allowed.
  await api(node, 'POST', '/queues', { name: 'jobs', visibilityTimeoutMs: 1, maxDeliveries: 1 })
  await api(node, 'POST', '/queues/jobs/messages', { id: 'j-1', body: 'print' })
  await api(node, 'POST', '/queues/jobs/receive', {})
  await until(
    async () => (await api(node, 'GET', '/queues/jobs')).body.deadLetters === 1,
    5000,
    'dead'
  )
  await api(node, 'POST', '/queues/jobs/receive', {}) // moves it
  const dead = session(node.url, ['jobs.dead'])
  await deadLetters(dead.io)
  t.match(dead.output(), /j-1 · [\d: -]+ · delivered 1 time without an ack\n {4}"print"/)
  // Taken from the dead letters and not acknowledged: said so, not "no message ready".
  await api(node, 'POST', '/queues/jobs.dead/receive', { visibilityMs: 60_000 })
  const taken = session(node.url, ['jobs.dead'])
  await deadLetters(taken.io)
  t.match(taken.output(), /jobs\.dead: its 1 dead letter is taken \(delivered, not acknowledged\)/)

  const kept = session(node.url, ['labels', false])
  await deleteQueueInteractively(kept.io)
  t.same(kept.lines, ['  Nothing deleted.'])
  const gone = session(node.url, ['labels', true])
  await deleteQueueInteractively(gone.io)
  t.same(gone.lines, ['✔ Deleted labels and labels.dead.'])

  const listed = session(node.url, [])
  await listQueues(listed.io)
  t.match(listed.output(), /jobs\s+0\s+0\s+0\s+1/)
})
