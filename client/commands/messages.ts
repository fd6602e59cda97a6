// Messages from the command line: the queues with what they hold, a message published, messages
// taken (and acknowledged when asked). For scripts and for looking at a dead-letter queue.
import {
  MAX_RECEIVE_WAIT_MS,
  queueName,
  queryWhole,
  type DeliveredMessage,
  type PublishedMessage,
  type QueueMessage,
  type QueueView,
} from '../../api/index.ts'
import { askOptional, askParsed, choose, confirm } from '../ask.ts'
import { positionals, type Command } from '../command.ts'
import { InputError, type Parse } from '../input.ts'
import { NodeRefusal, OutputClosed, UsageError } from '../errors.ts'
import { printJson, type Io } from '../io.ts'
import { table } from '../table.ts'

const queueNameInput: Parse<string> = (text) => {
  const checked = queueName.safeParse(text)
  if (!checked.success) throw new InputError(checked.error.issues[0].message)
  return text
}
const idInput: Parse<string> = (text) => {
  if (text !== '' && !/^[\x21-\x7e]{1,200}$/.test(text)) {
    throw new InputError('must be 1-200 visible ASCII characters')
  }
  return text
}
const jsonInput: Parse<unknown> = (text) => {
  try {
    return JSON.parse(text)
  } catch {
    throw new InputError('is not JSON (a string needs its quotes: "text")')
  }
}

/**
 * A count from the command line, in digits alone as the node reads one in a query string:
 * `1e3`, `0x10`, ` 7 ` and an empty value are numbers to JavaScript, not what anyone meant.
 */
const whole = (
  text: string | boolean | undefined,
  label: string,
  fallback: number,
  most = Number.MAX_SAFE_INTEGER
) => {
  if (text === undefined) return fallback
  const checked = queryWhole(0, most).safeParse(text)
  if (checked.success) return checked.data
  // Said here in the flag's own unit: the node would refuse it in its own (waitMs, in ms).
  if (checked.error.issues[0].code === 'too_big') {
    throw new UsageError(`${label} must be at most ${most}, not ${String(text)}`)
  }
  throw new UsageError(`${label} must be a whole number, not "${String(text)}"`)
}

/** The longest a receive waits, in seconds: what the node takes as waitMs. */
const MOST_WAIT_S = MAX_RECEIVE_WAIT_MS / 1000

function showQueues(io: Io, queues: QueueView[]) {
  io.print(
    table(
      queues,
      [
        { header: 'QUEUE', value: (q) => q.name },
        { header: 'READY', value: (q) => String(q.ready) },
        { header: 'DELAYED', value: (q) => String(q.delayed) },
        { header: 'IN FLIGHT', value: (q) => String(q.inFlight) },
        { header: 'DEAD', value: (q) => String(q.deadLetters) },
      ],
      io.columns
    )
  )
}

export const queues: Command = {
  name: 'queues',
  summary: 'the queues and what they hold; make, purge or delete one',
  synopsis: '[create NAME | purge NAME | delete NAME]',
  description:
    "Without arguments, lists this node's queues with their messages ready, delayed, in flight (delivered, not yet acknowledged) and dead (in the queue's dead-letter queue NAME.dead). create makes a queue (and its dead-letter queue) with a 30 s visibility timeout and 5 deliveries before a message is dead; purge deletes every message of a queue; delete deletes it with its dead letters. Creating and deleting need an admin's token, or for purge and delete a user granted manage on it.",
  examples: ['almacen queues', 'almacen queues create orders', 'almacen queues purge orders.dead'],
  async run(io, args) {
    const [what, name] = positionals(args, [], ['what', 'NAME'])
    if (what === undefined) {
      const { queues: all } = await io.api.get<{ queues: QueueView[] }>('/queues')
      return io.json ? printJson(io, all) : showQueues(io, all)
    }
    if (name === undefined) throw new UsageError(`missing NAME`)
    const path = `/queues/${encodeURIComponent(name)}`
    if (what === 'create') {
      const made = await io.api.post<QueueView>('/queues', { name })
      return io.json ? printJson(io, made) : showQueues(io, [made])
    }
    if (what === 'purge') {
      const { purged } = await io.api.post<{ purged: number }>(`${path}/purge`, { confirm: name })
      return io.json
        ? printJson(io, { purged })
        : io.print(`✔ Purged ${purged} messages from ${name}.`)
    }
    if (what === 'delete') {
      const { deleted } = await io.api.delete<{ deleted: string[] }>(path)
      return io.json ? printJson(io, { deleted }) : io.print(`✔ Deleted ${deleted.join(' and ')}.`)
    }
    throw new UsageError(`there is no "queues ${what}": use create, purge or delete`)
  },
}

export const publish: Command = {
  name: 'post',
  summary: 'publish a message to a queue or a topic',
  synopsis: 'QUEUE JSON [--topic] [--id ID] [--delay MS]',
  description:
    'Publishes JSON (any JSON value: an object, a string in quotes, a number) to QUEUE, or with --topic to the topic of that name and its subscriptions. It is on disk when this prints. Give --id to make a retry safe: the same id is taken once, ever; without it the node makes one.',
  options: {
    topic: { type: 'boolean', help: 'QUEUE names a topic' },
    id: { type: 'string', arg: 'ID', help: "the message's id, for a retry taken once" },
    delay: { type: 'string', arg: 'MS', help: 'hidden from consumers this long (queues only)' },
  },
  examples: [
    'almacen post orders \'{"order":1042}\' --id order-1042',
    'almacen post labels.printer1 \'"BOLT-M8"\' --topic',
  ],
  async run(io, args) {
    const [queue, json] = positionals(args, ['QUEUE', 'JSON']) as [string, string]
    let body: unknown
    try {
      body = JSON.parse(json)
    } catch {
      throw new UsageError(`JSON is not JSON: ${json} (a string needs its quotes: '"text"')`)
    }
    const id = args.values.id
    const delayMs = whole(args.values.delay, '--delay', 0)
    const kind = args.values.topic ? 'topics' : 'queues'
    const message = { body, ...(typeof id === 'string' && { id }), ...(delayMs && { delayMs }) }
    const path = `/${kind}/${encodeURIComponent(queue)}/messages`
    // With a key, reused on each of the client's own retries: a message without an id is given
    // one by the node from the key, so a retry after a lost answer is taken once.
    const result = await io.api.post<PublishedMessage>(path, message).catch(async (err) => {
      // No queue of that name: if it is a topic's, say how to publish to it.
      if (kind === 'queues' && err instanceof NodeRefusal && err.status === 404) {
        const topic = await io.api.get(`/topics/${encodeURIComponent(queue)}`).catch(() => null)
        if (topic) io.note(`almacen: ${queue} is a topic: publish to it with --topic`)
      }
      throw err
    })
    if (io.json) return printJson(io, result)
    io.print(
      result.duplicate
        ? `Already published as ${result.id} (message ${result.seq}): taken once, nothing new.`
        : `✔ Published ${result.id} to ${queue} (message ${result.seq}).`
    )
  },
}

export const receiveMessages: Command = {
  name: 'take',
  summary: 'take messages from a queue, and acknowledge them if asked',
  synopsis: 'QUEUE [--max N] [--wait S] [--ack]',
  description:
    "Prints up to --max messages (1 by default) from QUEUE as JSON lines, waiting up to --wait seconds for one. Without --ack they are only borrowed: hidden from other consumers until the visibility timeout passes, then delivered again; each take counts as a delivery, and a message taken the queue's number of times without an ack goes to its dead letters. With --ack they are acknowledged once printed, and gone. To look without taking, use almacen peek.",
  options: {
    max: { type: 'string', arg: 'N', help: 'at most this many (1 to 100)' },
    wait: { type: 'string', arg: 'S', help: 'seconds to wait for one (up to 20)' },
    ack: { type: 'boolean', help: 'acknowledge what was printed' },
  },
  examples: ['almacen take orders --max 10 --ack', 'almacen take orders.dead --max 100'],
  async run(io, args) {
    const [queue] = positionals(args, ['QUEUE']) as [string]
    const max = whole(args.values.max, '--max', 1)
    const waitMs = whole(args.values.wait, '--wait', 0, MOST_WAIT_S) * 1000
    const path = `/queues/${encodeURIComponent(queue)}`
    // The node holds the receive up to --wait: the client's --timeout is for the answer after it.
    // With a key: a retry after a lost answer is answered with the take it made, not a second
    // take (the first hidden until its visibility timeout, counted as a delivery).
    const { messages } = await io.api.post<{ messages: DeliveredMessage[] }>(
      `${path}/receive`,
      { max, waitMs },
      undefined,
      { holdMs: waitMs }
    )
    if (io.json) printJson(io, messages)
    else for (const m of messages) io.print(JSON.stringify(m))
    if (args.values.ack && messages.length > 0) {
      // Acknowledged only once printed: a reader that has gone (`take --ack | consumer`, the
      // consumer dead) leaves them to come back after the visibility timeout.
      if (io.printed && !(await io.printed())) {
        throw new OutputClosed(
          `the output was closed before ${messages.length === 1 ? 'the message was' : `the ${messages.length} messages were`} written: nothing acknowledged, taken again after ${queue}'s visibility timeout`
        )
      }
      await io.api.post(`${path}/ack`, { receipts: messages.map((m) => m.receipt) }, null)
      if (!io.json) io.note(`Acknowledged ${messages.length}.`)
    }
    if (messages.length === 0 && !io.json) io.note(`No message in ${queue}.`)
  },
}

export const peekMessages: Command = {
  name: 'peek',
  summary: 'look at the first messages of a queue, taking nothing',
  synopsis: 'QUEUE [--max N]',
  description:
    'Prints the first --max messages (20 by default, up to 100) a take would get from QUEUE, as JSON lines, without taking them: nothing is hidden from consumers or counted as a delivery, so a queue or its dead letters (QUEUE.dead) stay exactly as they are.',
  options: {
    max: { type: 'string', arg: 'N', help: 'at most this many (1 to 100)' },
  },
  examples: ['almacen peek orders', 'almacen peek orders.dead --max 100'],
  async run(io, args) {
    const [queue] = positionals(args, ['QUEUE']) as [string]
    const limit = whole(args.values.max, '--max', 20)
    if (limit < 1 || limit > 100) throw new UsageError(`--max must be from 1 to 100, not ${limit}`)
    const { messages } = await io.api.get<{ messages: QueueMessage[] }>(
      `/queues/${encodeURIComponent(queue)}/messages`,
      { limit }
    )
    if (io.json) return printJson(io, messages)
    for (const m of messages) io.print(JSON.stringify(m))
    if (messages.length === 0) io.note(`No message ready in ${queue}.`)
  },
}

// ---------------------------------------------------------------------------------------------
// The Messages menu.

/** One of the node's queues, chosen from its list (dead-letter queues too when asked). */
async function chooseQueue(
  io: Io,
  message: string,
  dead = false,
  except = new Set<string>()
): Promise<string | undefined> {
  const { queues: all } = await io.api.get<{ queues: QueueView[] }>('/queues')
  // Dead letters: only the queues that hold some (every queue has a dead-letter queue).
  const shown = all.filter(
    (q) =>
      (q.maxDeliveries === null) === dead &&
      !except.has(q.name) &&
      (!dead || q.ready + q.inFlight > 0)
  )
  if (shown.length === 0) {
    io.print(dead ? '  No queue has dead letters.' : '  No queue yet: Messages › Make a queue.')
    return undefined
  }
  return choose(
    io,
    message,
    shown.map((q) => ({
      // A dead-letter queue's own messages are its dead letters: it has none of its own.
      title: dead
        ? `${q.name}  (${q.ready + q.inFlight} dead letter${q.ready + q.inFlight === 1 ? '' : 's'}${q.inFlight ? `, ${q.inFlight} taken` : ''})`
        : `${q.name}  (${q.ready} ready, ${q.inFlight} in flight, ${q.deadLetters} dead)`,
      value: q.name,
    }))
  )
}

function showQueueMessage(io: Io, name: string, messages: QueueMessage[]) {
  if (messages.length === 0) return io.print(`  ${name} has no message ready.`)
  for (const m of messages) {
    // A dead letter says why it is one; how often it was taken from the dead letters, if ever.
    const why = m.headers['x-dead-reason']
    const taken = why
      ? `${m.deliveries > 0 ? ` · taken here ${m.deliveries}×` : ''} · ${why}`
      : ` · delivered ${m.deliveries}×`
    io.print(`  #${m.seq} ${m.id} · ${m.publishedAt.slice(0, 19).replace('T', ' ')}${taken}`)
    io.print(`    ${JSON.stringify(m.body)}`)
  }
}

/** Messages › Queues. */
export async function listQueues(io: Io) {
  const { queues: all } = await io.api.get<{ queues: QueueView[] }>('/queues')
  if (all.length === 0) return io.print('  No queue yet: Messages › Make a queue.')
  showQueues(io, all)
}

/** Messages › Make a queue. */
export async function createQueueInteractively(io: Io) {
  const name = await askParsed(io, 'Name of the new queue', queueNameInput, 'The name')
  const made = await io.api.post<QueueView>('/queues', { name })
  io.print(`✔ Made ${made.name}, and ${made.name}.dead for its dead letters.`)
}

/** Messages › Publish. */
export async function publishInteractively(io: Io) {
  // A subscription's queue takes its topics' messages only (the node refuses a publish there):
  // not offered, rather than refused once the message is typed.
  const { subscriptions } = await io.api.get<{ subscriptions: { name: string }[] }>('/topics')
  const taken = new Set(subscriptions.map((s) => s.name))
  const name = await chooseQueue(io, 'Publish to which queue?', false, taken)
  if (name === undefined) return
  const body = await askParsed(
    io,
    'The message (JSON: {"order":1}, "text", 42)',
    jsonInput,
    'The message'
  )
  const id = await askOptional(io, 'Its id, to make a retry safe', idInput, 'The id')
  // As every change the menus make: shown, and confirmed, before it is sent.
  const shown = JSON.stringify(body)
  const what = shown.length > 60 ? `${shown.slice(0, 59)}…` : shown
  if (!(await confirm(io, `Publish ${what}${id ? ` as ${id}` : ''} to ${name}?`))) {
    io.print('  Nothing published.')
    return
  }
  // With a key (the node makes a message's id from it when none is given): taken once, however
  // often the client tries.
  const result = await io.api.post<PublishedMessage>(
    `/queues/${encodeURIComponent(name)}/messages`,
    { body, ...(id && { id }) }
  )
  io.print(
    result.duplicate
      ? `  Already published as ${result.id}: taken once, nothing new.`
      : `✔ Published ${result.id} to ${name} (message ${result.seq}).`
  )
}

/** Messages › Look at a queue (nothing is taken). */
export async function peekQueue(io: Io) {
  const name = await chooseQueue(io, 'Look at which queue?')
  if (name === undefined) return
  const { messages } = await io.api.get<{ messages: QueueMessage[] }>(
    `/queues/${encodeURIComponent(name)}/messages`,
    { limit: 20 }
  )
  showQueueMessage(io, name, messages)
}

/** Messages › Dead letters. */
export async function deadLetters(io: Io) {
  const name = await chooseQueue(io, 'Dead letters of which queue?', true)
  if (name === undefined) return
  const path = `/queues/${encodeURIComponent(name)}`
  const { messages } = await io.api.get<{ messages: QueueMessage[] }>(`${path}/messages`, {
    limit: 20,
  })
  if (messages.length > 0) return showQueueMessage(io, name, messages)
  // Listed for its dead letters, but none ready: someone has taken them and not acknowledged.
  const { inFlight } = await io.api.get<QueueView>(path)
  if (inFlight === 0) return showQueueMessage(io, name, messages)
  io.print(
    `  ${name}: its ${inFlight} dead letter${inFlight === 1 ? ' is' : 's are'} taken (delivered, not acknowledged); if not acknowledged, each shows here again when its visibility timeout ends.`
  )
}

/** Messages › Delete a queue. */
export async function deleteQueueInteractively(io: Io) {
  const name = await chooseQueue(io, 'Delete which queue?')
  if (name === undefined) return
  if (!(await confirm(io, `Delete ${name}, its dead letters and every message in them?`, false))) {
    return io.print('  Nothing deleted.')
  }
  const { deleted } = await io.api.delete<{ deleted: string[] }>(
    `/queues/${encodeURIComponent(name)}`
  )
  io.print(`✔ Deleted ${deleted.join(' and ')}.`)
}
