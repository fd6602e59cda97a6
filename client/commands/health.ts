import { positionals, type Command } from '../command.ts'
import { printJson, type Io } from '../io.ts'

interface Health {
  status: string
  worker: { ok: boolean; ms?: number }
}

async function check(io: Io) {
  const health = await io.api.get<Health>('/health')
  if (io.json) return printJson(io, health)
  io.print(
    `✔ The node at ${io.api.url} is up and its database answers (in ${health.worker.ms} ms).`
  )
}

export const health: Command = {
  name: 'health',
  summary: 'check that the node and its database answer',
  synopsis: '',
  description:
    'Asks the node whether it and its database worker answer. Exit 0 when healthy; exit 3 when the node cannot be reached or its database does not answer (for monitoring).',
  examples: ['almacen health || echo "almacen is down"'],
  async run(io, args) {
    positionals(args, [])
    await check(io)
  },
}

/** Node › Health. */
export const nodeHealth = check
