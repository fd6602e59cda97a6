// Walking the menus: the main menu opens a sub-menu, a sub-menu runs actions. Ctrl-C (or Esc)
// goes back one level: out of an action to its menu, out of a menu to the main menu, and out of
// the main menu ends the session. An action's failure is shown as a sentence, never a stack.
import { choose } from './ask.ts'
import { Cancelled, Interrupted, NodeRefusal, NodeUnreachable } from './errors.ts'
import type { Io } from './io.ts'

/** What leaving an action that changes something means, in words for the person. */
export interface Changes {
  /** Said when Ctrl-C leaves it before anything was sent. */
  cancelled: string
  /** Said when the node did not confirm a change it was sent (Ctrl-C, or no answer). */
  unconfirmed: string
}

export interface MenuAction {
  /** Stable name for tests and scripts that inject answers. */
  key: string
  title: string
  run(io: Io): Promise<void>
  /** Set on actions that change something; a look-up left with Ctrl-C simply goes back. */
  changes?: Changes
}

export interface Menu {
  key: string
  title: string
  /** What is inside, shown beside the title in the main menu. */
  hint: string
  actions: MenuAction[]
}

/** The main menu, until Quit or Ctrl-C. */
export async function mainMenu(io: Io, menus: Menu[]): Promise<void> {
  const width = Math.max(...menus.map((m) => m.title.length))
  let last = 0
  for (;;) {
    const choices = [
      ...menus.map((m) => ({ title: `${m.title.padEnd(width)}   ${m.hint}`, value: m.key })),
      { title: 'Quit', value: 'quit' },
    ]
    const hint = '↑↓ then Enter; Ctrl-C quits'
    const key = await choose(io, 'What do you want to do?', choices, last, hint).catch(backOut)
    if (key === undefined || key === 'quit') return
    last = menus.findIndex((m) => m.key === key)
    const [only, ...more] = menus[last].actions
    // A menu of one action (Where is it?) is that action: no sub-menu to pick it from.
    if (more.length === 0) {
      await runAction(io, only)
      io.print('')
    } else await subMenu(io, menus[last])
  }
}

/** One menu's actions, until Back or Ctrl-C; after an action the same menu comes back. */
export async function subMenu(io: Io, menu: Menu): Promise<void> {
  let last = 0
  for (;;) {
    const choices = [
      ...menu.actions.map((a) => ({ title: a.title, value: a.key })),
      { title: '← Back', value: 'back' },
    ]
    const key = await choose(io, `${menu.title}:`, choices, last).catch(backOut)
    if (key === undefined || key === 'back') return
    last = menu.actions.findIndex((a) => a.key === key)
    await runAction(io, menu.actions[last])
    io.print('')
  }
}

/**
 * Runs one action; whatever goes wrong is reported and the menu carries on. Going back (Ctrl-C)
 * is explained only where something could have changed: a look-up simply goes back.
 */
export async function runAction(io: Io, action: MenuAction): Promise<void> {
  try {
    await action.run(io)
  } catch (err) {
    const changes = action.changes
    const unconfirmed =
      (err instanceof Interrupted && err.unconfirmed) ||
      (err instanceof NodeUnreachable && err.key !== undefined)
    if (unconfirmed) io.print(`✖ ${changes?.unconfirmed ?? UNCONFIRMED}`)
    else if (err instanceof Cancelled) changes && io.print(`  ${changes.cancelled}`)
    else io.print(`✖ ${explain(err)}`)
  }
}

export const UNCONFIRMED =
  'The node did not confirm it, so it may or may not have been recorded. Check the history before entering it again.'

function backOut(err: unknown): undefined {
  if (err instanceof Cancelled) return undefined
  throw err
}

/** A failed action in words: the node's own sentence, or what to do about a node that is away. */
export function explain(err: unknown): string {
  if (err instanceof NodeRefusal) return err.message
  if (err instanceof NodeUnreachable) {
    if (err.unconfirmed) {
      return `The node did not confirm it, so it may or may not have been done: ${err.unconfirmed}`
    }
    return err.key ? UNCONFIRMED : err.message
  }
  if (process.env.ALMACEN_DEBUG) return (err as Error)?.stack ?? String(err)
  return `Something unexpected went wrong: ${(err as Error)?.message ?? err}. Set ALMACEN_DEBUG=1 to see the details.`
}
