// The menus on a terminal: wires the API to a spinner and to a "try again?" question when the
// node does not answer, greets with the warehouse's name, then hands over to the menu loop.
import prompts from 'prompts'
import { createApi } from './api.ts'
import { choose } from './ask.ts'
import type { NodeIdentity } from './commands/node.ts'
import { Cancelled, EXIT, NodeUnreachable } from './errors.ts'
import { fit } from './format.ts'
import type { Io, Prompter } from './io.ts'
import { mainMenu } from './menu-loop.ts'
import { MENUS } from './menus.ts'
import { createSpinner } from './spinner.ts'

export interface InteractiveOptions {
  url: string
  timeoutMs?: number
  prompts?: Prompter
  print?: (text: string) => void
  /** Tries per call before asking the person (tests lower it). */
  attempts?: number
}

/**
 * An Io for people: when every try fails, the node's absence is explained and the person chooses
 * to try again (same request, same Idempotency-Key) or go back.
 */
export function interactiveIo(options: InteractiveOptions): Io {
  const columns = process.stdout.isTTY ? process.stdout.columns : 100
  const print =
    options.print ?? ((text: string) => void process.stdout.write(`${fit(text, columns)}\n`))
  const io: Io = {
    api: createApi({
      url: options.url,
      timeoutMs: options.timeoutMs,
      attempts: options.attempts,
      progress: options.print ? undefined : createSpinner(process.stderr),
      onUnreachable: (err) => offerRetry(io, err, 'Go back'),
    }),
    prompts: options.prompts ?? prompts,
    print,
    note: print,
    json: false,
    columns,
    canAsk: true,
  }
  return io
}

async function offerRetry(io: Io, err: NodeUnreachable, giveUp: string): Promise<boolean> {
  io.print(`✖ ${err.message}`)
  const safe = err.key ? ' (safe: it will not be recorded twice)' : ''
  return choose(io, 'What now?', [
    { title: `Try again${safe}`, value: true },
    { title: giveUp, value: false },
  ]).catch((cancel) => {
    if (cancel instanceof Cancelled) return false
    throw cancel
  })
}

/** The whole session; resolves to the exit code. */
export async function runInteractive(options: InteractiveOptions): Promise<number> {
  const io = interactiveIo(options)
  let node: NodeIdentity
  try {
    // Before the menus there is nowhere to go back to: giving up quits.
    const greeting = createApi({
      url: options.url,
      timeoutMs: options.timeoutMs,
      attempts: options.attempts,
      onUnreachable: (err) => offerRetry(io, err, 'Quit'),
    })
    node = await greeting.get<NodeIdentity>('/node')
  } catch (err) {
    if (err instanceof NodeUnreachable || err instanceof Cancelled) return EXIT.unreachable
    throw err
  }
  io.print(`almacen · ${node.name} · ${io.api.url}`)
  io.print('')
  await mainMenu(io, MENUS)
  io.print('Bye.')
  return EXIT.ok
}
