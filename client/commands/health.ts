import type { Health } from '../../api/index.ts'
import { positionals, type Command } from '../command.ts'
import { EXIT } from '../errors.ts'
import { printJson, type Io } from '../io.ts'

type Answered = Extract<Health, { worker: { ok: true } }>

/** Node › Health, and what `almacen health` says: the node's word, and whether it takes writes. */
async function check(io: Io): Promise<Answered> {
  const health = await io.api.get<Answered>('/health')
  if (io.json) {
    printJson(io, health)
    return health
  }
  const answers = `The node at ${io.api.url} is up and its database answers (in ${health.worker.ms} ms)`
  const halt = health.ledger?.halt
  const full = health.ledger?.diskFull
  if (health.status === 'degraded' && halt) {
    io.print(`✖ ${answers}, but it refuses every write: its ledger is halted since ${halt.since}.`)
    for (const problem of halt.problems) io.print(`  ${problem}`)
    io.print(`  ${halt.action}`)
  } else if (health.status === 'degraded' && full) {
    io.print(`✖ ${answers}, but its writes fail since ${full.since}: the disk is full.`)
    io.print(`  ${full.message}`)
  } else io.print(`✔ ${answers}.`)
  return health
}

export const health: Command = {
  name: 'health',
  summary: 'check that the node answers and takes writes',
  synopsis: '',
  description:
    'Asks the node whether it and its database worker answer, and whether its ledger takes writes. Exit 0 when healthy; exit 1 when it answers but refuses writes (its ledger halted) or its writes fail (its disk full); exit 3 when the node cannot be reached or its database does not answer (for monitoring).',
  examples: ['almacen health || echo "almacen needs a person"'],
  async run(io, args) {
    positionals(args, [])
    const answered = await check(io)
    // Said above (or in the JSON): the exit status is for the script that asked.
    if (answered.status === 'degraded') return EXIT.refused
  },
}

/** Node › Health. */
export async function nodeHealth(io: Io): Promise<void> {
  await check(io)
}
