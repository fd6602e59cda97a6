// What every command works with, passed in rather than imported so that tests can hand in a real
// node's API, prompts with injected answers, and a print that records lines.
import type prompts from 'prompts'
import type { Api } from './api.ts'
import type { TypeAhead } from './type-ahead.ts'

export type Prompter = typeof prompts

export interface Io {
  api: Api
  prompts: Prompter
  /** Results, on stdout. */
  print(text?: string): void
  /** A remark beside the results: stderr for one-shot commands, so pipes carry only results. */
  note(text: string): void
  /** --json: the node's JSON instead of tables and sentences. */
  json: boolean
  /** Terminal width for tables; Infinity when stdout is not a terminal. */
  columns: number
  /** A person is there to answer a question: the menus, or a command typed at a terminal. */
  canAsk: boolean
  /** The keys typed ahead, each line kept for the question it was typed for (the menus). */
  typeAhead?: TypeAhead
  /**
   * Whether everything printed so far has been taken by stdout's reader (false once it has gone:
   * a closed pipe). Without it (the menus, a recording), taken.
   */
  printed?: () => Promise<boolean>
}

/** Where the client writes: a terminal, a pipe or a file (or, in tests, a recording). */
export interface Output {
  write(text: string): unknown
  isTTY?: boolean
  columns?: number
}

/** JSON for scripts: indented, so it reads by eye too, and jq takes it as is. */
export function printJson(io: Io, value: unknown) {
  io.print(JSON.stringify(value, null, 2))
}
