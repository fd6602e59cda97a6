// The menus on a terminal: wires the API to a spinner and to a "try again?" question when the
// node does not answer, greets with the warehouse's name, then hands over to the menu loop.
import prompts from 'prompts'
import { createApi } from './api.ts'
import type { TokenSource } from './token.ts'
import { ctrlC } from './ctrl-c.ts'
import { choose } from './ask.ts'
import type { NodeInfo } from '../api/index.ts'
import { Cancelled, EXIT, Interrupted, NodeRefusal, NodeUnreachable } from './errors.ts'
import { fit } from './format.ts'
import type { Io, Prompter } from './io.ts'
import { mainMenu } from './menu-loop.ts'
import { MENUS } from './menus.ts'
import { createSpinner } from './spinner.ts'
import { TypeAhead } from './type-ahead.ts'

export interface InteractiveOptions {
  url: string
  token?: TokenSource
  /** The CA (PEM) an https:// node's certificate may be signed by (--ca). */
  ca?: string
  timeoutMs?: number
  prompts?: Prompter
  print?: (text: string) => void
  /** Tries per call before asking the person (tests lower it). */
  attempts?: number
  /** Where Ctrl-C comes from (tests); by default SIGINT, which the menus take over. */
  interrupts?: (stop: () => void) => () => void
}

/**
 * The API for the menus. With a spinner to show it, a node that does not answer is tried again
 * and again, the spinner saying for how long, until it answers or the person presses Ctrl-C:
 * a node restarting or frozen for a moment costs them nothing. Without one (stderr is not a
 * terminal, or a test), after a few tries the person is asked whether to try again.
 */
function menuApi(io: Io, options: InteractiveOptions, name: string | undefined, giveUp: string) {
  const progress = options.print ? undefined : createSpinner(process.stderr)
  // Ctrl-C out of a wait for the node also drops what was typed during it: those lines were for
  // the questions of the flow left, and would otherwise choose in the menu it goes back to (a
  // scan's Enter started another receipt).
  const { interrupts } = options
  const leaving =
    interrupts &&
    ((stop: () => void) =>
      interrupts(() => {
        io.typeAhead?.left()
        stop()
      }))
  return createApi({
    url: options.url,
    token: options.token,
    ca: options.ca,
    name,
    timeoutMs: options.timeoutMs,
    attempts: progress ? Infinity : options.attempts,
    hint: `Ctrl-C to ${giveUp.toLowerCase()}`,
    progress,
    interrupts: leaving,
    onUnreachable: (err) => offerRetry(io, err, giveUp),
  })
}

/**
 * An Io for people: when the node does not answer, the person waits with Ctrl-C to go back, or
 * chooses to try again (same request, same Idempotency-Key) or go back.
 */
export function interactiveIo(options: InteractiveOptions): Io {
  const print =
    options.print ?? ((text: string) => void process.stdout.write(`${fit(text, io.columns)}\n`))
  const io: Io = {
    api: undefined as unknown as Io['api'],
    prompts: options.prompts ?? prompts,
    print,
    note: print,
    json: false,
    // Read at each use, so that a terminal resized during the session is filled as it is now.
    get columns() {
      return process.stdout.isTTY ? process.stdout.columns : 100
    },
    canAsk: true,
    // At a terminal, each line typed ahead goes to the question it was typed for (type-ahead.ts).
    ...(!options.prompts && process.stdin.isTTY && { typeAhead: new TypeAhead(process.stdin) }),
  }
  io.api = menuApi(io, options, undefined, 'Go back')
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
  if (!options.print && !options.interrupts) options = { ...options, interrupts: ctrlC() }
  const io = interactiveIo(options)
  let node: NodeInfo
  try {
    // Before the menus there is nowhere to go back to: giving up quits.
    node = await menuApi(io, options, undefined, 'Quit').get<NodeInfo>('/node')
  } catch (err) {
    if (err instanceof Interrupted) return EXIT.interrupted
    if (err instanceof NodeUnreachable || err instanceof Cancelled) return EXIT.unreachable
    // Refused (no token, a wrong one), or an answer that is no node's (a proxy's error page): said
    // in a line, as a one-shot command says it, never a stack trace.
    if (err instanceof NodeRefusal) {
      io.print(`✖ ${err.message} (${err.code})`)
      return EXIT.refused
    }
    throw err
  }
  if (typeof node?.name !== 'string') {
    io.print(`✖ ${io.api.url} answered, but not as an almacen node does (GET /node has no name)`)
    return EXIT.refused
  }
  // From here on the node is called by its warehouse's name: "Madrid has not answered for 3 s".
  io.api = menuApi(io, options, node.name, 'Go back')
  io.print(`almacen · ${node.name} · ${io.api.url}`)
  io.print('')
  await mainMenu(io, MENUS)
  io.print('Bye.')
  return EXIT.ok
}
