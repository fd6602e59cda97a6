// Prompts, one question at a time, with the two rules the menus rely on: Ctrl-C or Esc throws
// Cancelled (go back one level), and an answer is checked again after prompts returns it, because
// injected answers (tests) and autocomplete skip prompts' own `validate`.
import type { Choice, PromptObject } from 'prompts'
import { Cancelled } from './errors.ts'
import { validator, type Parse } from './input.ts'
import type { Io } from './io.ts'
import { throughTypeAhead } from './type-ahead.ts'

type Question = Omit<PromptObject<'value'>, 'name'>

export async function ask<T = string>(io: Io, question: Question): Promise<T> {
  for (;;) {
    let cancelled = false
    const asked = io.typeAhead ? throughTypeAhead(io.typeAhead, question) : question
    const answers = await io.prompts(
      {
        ...asked,
        name: 'value',
        // Esc in an autocomplete "exits" with the highlighted value instead of cancelling.
        onState: (state: { exited?: boolean }) => void (cancelled ||= !!state.exited),
      } as PromptObject<'value'>,
      { onCancel: () => void (cancelled = true) }
    )
    if (cancelled || !('value' in answers)) throw new Cancelled()
    const check = question.validate as ((value: unknown) => unknown) | undefined
    const verdict = check ? await check(answers.value) : true
    if (verdict === true) return answers.value as T
    io.typeAhead?.drop() // what was typed after it was meant for the questions after it
    io.print(`  ${verdict === false ? 'Please check that answer.' : verdict}`)
  }
}

/** A typed answer turned into a value by `parse`; `label` starts the sentence shown on a mistake. */
export async function askParsed<T>(
  io: Io,
  message: string,
  parse: Parse<T>,
  label: string,
  initial?: string
): Promise<T> {
  const validate = validator(parse, label)
  const answer = await ask<string>(io, { type: 'text', message, initial, validate })
  return parse(String(answer ?? ''))
}

/** Optional free text: Enter leaves it empty. */
export async function askOptional(io: Io, message: string, parse: Parse<string>, label: string) {
  const value = await askParsed(io, `${message} (optional)`, parse, label)
  return value || undefined
}

export async function confirm(io: Io, message: string, initial = true): Promise<boolean> {
  return ask<boolean>(io, { type: 'confirm', message, initial })
}

export async function choose<T>(
  io: Io,
  message: string,
  choices: (Choice & { value: T })[],
  initial = 0,
  hint = '↑↓ then Enter; Ctrl-C goes back'
): Promise<T> {
  return ask<T>(io, { type: 'select', message, choices, initial, hint })
}

/**
 * A choice that may also be made by typing the start of an entry's name and Enter (a
 * warehouse), as the web page's list has it; a line that names none, or several, chooses nothing.
 */
export async function chooseByName<T>(
  io: Io,
  message: string,
  choices: (Choice & { value: T; name: string })[]
): Promise<T> {
  const hint = 'type its name, or ↑↓, then Enter; Ctrl-C goes back'
  const byName = choices.map((c) => c.name)
  const shown = choices.map(({ name: _, ...c }) => c)
  return ask<T>(io, { type: 'select', message, choices: shown, hint, byName } as never)
}
