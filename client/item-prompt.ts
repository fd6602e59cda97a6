// The item picker's prompt: prompts' autocomplete, made to act on what was typed. prompts itself
// submits the highlighted row of whatever list it holds when Enter comes, even a list for an
// earlier text whose successor is still on its way from the node, and it keeps the highlight's
// row number when a new list replaces the old one. A barcode scanner types a SKU and Enter within
// milliseconds, so both recorded movements against the wrong item (issue 9, item 2).
import { createRequire } from 'node:module'
import prompts from 'prompts'

export interface Suggestion {
  title: string
  value: string
}

/** The value of the one suggestion shown when the node does not answer: never a valid SKU. */
export const UNREACHABLE = '\u0000unreachable'

/** Leads the answer when a whole SKU typed is one the node said it does not have: then the SKU. */
export const ABSENT = '\u0000absent:'

/** What the picker knows when Enter is pressed. */
export interface EnterState {
  /** The text typed. */
  input: string
  /** The text that the suggestions in hand answer; undefined before the first answer. */
  listFor: string | undefined
  /** The suggested SKUs, in order. */
  values: string[]
  /** The highlighted row. */
  select: number
  /** The list in hand may not hold every match (it is as long as the node was asked for). */
  full: boolean
  /** The person moved the highlight since the text or the list last changed. */
  moved: boolean
  /** A SKU the node said it does not have, so it is not asked about again. */
  absent?: string
  /**
   * The list in hand is the node not answering (UNREACHABLE): a whole SKU typed is asked for
   * again, so that one suggestion lost on a slow moment does not lose a scan.
   */
  failed?: boolean
  /** Enter on nothing typed ends a list of items (a transfer's lines) instead of choosing one. */
  endOnEmpty?: boolean
  /**
   * Enter came ahead of the list for the text as typed, or straight after the text (a scanner's
   * way): no list was in front of the person, so no row of one is the answer for a code.
   */
  ahead?: boolean
}

export type EnterStep =
  /** Submit this SKU (undefined: nothing matches, said as "no item chosen"; '': done). */
  | { choose: string | undefined }
  /** Ask the node whether an item has exactly this SKU: if so choose it, else decide again. */
  | { lookup: string }
  /** Wait for the suggestions for the text as typed, then decide again. */
  | { wait: true }

const SKU = /^[A-Z0-9][A-Z0-9._-]{0,63}$/

/** Whether the suggestions for `listFor` answer the text as typed. */
const answers = (listFor: string | undefined, input: string) =>
  listFor !== undefined && listFor.trim() === input.trim()

/**
 * What Enter does. The typed text, when it is exactly a SKU, is the answer: in the list in hand,
 * or, when that list is behind the text (or cut short), after asking the node. A code typed ahead
 * of its list that the node has no item for is said as such, never another item chosen.
 * Otherwise only a list that answers the text as typed may decide, on its highlighted row. A
 * highlight the person moved on that list wins over an exact SKU: they chose it, with the list in
 * front of them.
 */
export function onEnter(state: EnterState): EnterStep {
  const typed = state.input.trim().toUpperCase()
  const current = answers(state.listFor, state.input)
  if (current && state.moved) return { choose: state.values[state.select] }
  // Nothing typed and no row picked: the person is done (the first row is not a choice made).
  if (state.endOnEmpty && !typed) return { choose: '' }
  if (typed && state.values.includes(typed)) return { choose: typed }
  const unseen = !current || state.ahead
  if (SKU.test(typed) && state.absent !== typed && (unseen || state.full || state.failed)) {
    return { lookup: typed }
  }
  // Scanned (M8): the suggestions for it (BOLT-M8…) are not what was meant.
  if (SKU.test(typed) && state.absent === typed && unseen) {
    return { choose: undefined }
  }
  if (!current) return { wait: true }
  return { choose: state.values[state.select] }
}

/** The options of an `item` question: prompts' autocomplete's, plus the exact look-up. */
export interface ItemQuestion {
  suggest(input: string): Promise<Suggestion[]>
  /** Inside an object: prompts calls any function-valued option before it asks. */
  item: {
    /**
     * The item whose SKU is exactly `sku`, or undefined when the node says it has none; rejects
     * when the node does not say.
     */
    exact(sku: string): Promise<Suggestion | undefined>
  }
  limit: number
  /** Enter on nothing typed answers '' (done) instead of the first suggestion. */
  endOnEmpty?: boolean
}

/** The parts of prompts' AutocompletePrompt (lib/elements/autocomplete.js) used here. */
interface Autocomplete {
  input: string
  suggestions: Suggestion[]
  select: number
  value: unknown
  limit: number
  closed?: boolean
  completing: unknown
  choices: unknown[]
  suggest(input: string, choices: unknown[]): Promise<Suggestion[]>
  moveSelect(i: number): void
  render(): void
  submit(): void
  on(event: string, listener: (value: unknown) => void): void
}

type AutocompleteClass = new (options: object) => Autocomplete

const require = createRequire(import.meta.url)
const Base = require('prompts/lib/elements/autocomplete.js') as AutocompleteClass

/** Keys that change the text or move the highlight: held off while Enter is being decided. */
const EDITS = ['_', 'delete', 'deleteForward', 'up', 'down', 'next', 'first', 'last']
const MOVES = ['up', 'down', 'next', 'first', 'last', 'nextPage', 'prevPage']
const TYPING = ['_', 'delete', 'deleteForward']

/** An Enter this soon after the text changed is a scanner's: no one has read a list by then. */
const SCAN_MS = 30
/**
 * Nor this soon after the list for the text was shown: a scanner that types a key every 30 ms or
 * more, or whose Enter comes in a packet of its own, meets a quick node's list already in hand,
 * and no person reads a list and decides on it in a fifth of a second.
 */
const READ_MS = 200

const sameValues = (a: Suggestion[], b: Suggestion[]) =>
  a.length === b.length && a.every((s, i) => s.value === b[i].value)

class ItemPrompt extends Base {
  // `declare`: the base constructor already runs complete(), which sets some of these, and a
  // class field would be reset to undefined after it.
  declare listFor: string | undefined
  declare arriving: Promise<void>
  declare deciding: boolean
  declare moved: boolean
  declare absent: string | undefined
  declare exact: ItemQuestion['item']['exact']
  declare endOnEmpty: boolean
  declare typedAt: number
  /** When the list for `listFor` was shown. */
  declare shownAt: number
  declare ahead: boolean

  constructor(options: ItemQuestion) {
    super(options)
    this.exact = options.item.exact
    this.endOnEmpty = options.endOnEmpty === true
    const self = this as unknown as Record<string, (...args: unknown[]) => unknown>
    for (const name of new Set([...EDITS, ...MOVES])) {
      const key = self[name].bind(this)
      self[name] = (...args) => {
        if (this.deciding) return
        key(...args)
        if (TYPING.includes(name)) this.typedAt = Date.now()
        // Typing starts afresh: a highlight moved on the old list means nothing for the new.
        this.moved = MOVES.includes(name)
      }
    }
  }

  /** prompts' complete, except that a list that changed is shown from its first row. */
  complete(done?: () => void) {
    const input = this.input
    const asked = this.suggest(input, this.choices)
    this.completing = asked
    this.arriving = asked.then((list) => {
      if (this.completing !== asked) return // a later text's list is on its way
      const changed = !sameValues(list, this.suggestions)
      this.suggestions = list.map(({ title, value }) => ({ title, value }))
      if (this.listFor !== input) this.shownAt = Date.now()
      this.listFor = input
      this.completing = false
      if (changed) this.moved = false
      this.moveSelect(changed ? 0 : Math.min(this.select, Math.max(list.length - 1, 0)))
      done?.()
    })
    return this.arriving
  }

  submit() {
    if (this.deciding) return
    this.deciding = true
    const now = Date.now()
    this.ahead =
      !answers(this.listFor, this.input) ||
      now - (this.typedAt ?? 0) < SCAN_MS ||
      now - (this.shownAt ?? 0) < READ_MS
    void this.decide().then((value) => {
      this.deciding = false
      if (this.closed) return // Ctrl-C while deciding
      this.value = value
      super.submit()
    })
  }

  private async decide(): Promise<string | undefined> {
    for (;;) {
      const step = onEnter({
        input: this.input,
        listFor: this.listFor,
        values: this.suggestions.map((s) => s.value),
        select: this.select,
        full: this.suggestions.length >= this.limit,
        moved: this.moved,
        absent: this.absent,
        failed: this.suggestions.some((s) => s.value === UNREACHABLE),
        endOnEmpty: this.endOnEmpty,
        ahead: this.ahead,
      })
      if ('choose' in step) {
        // Done: the line left on screen shows nothing typed, not the first row's item.
        if (step.choose === '') this.suggestions = []
        const row = this.suggestions.findIndex((s) => s.value === step.choose)
        // The line left on screen names the item chosen, or shows what was typed: never a row
        // that was not chosen.
        if (row >= 0) this.select = row
        else this.suggestions = []
        // Nothing chosen, and what was typed is a SKU the node has no item for: said by name.
        const typed = this.input.trim().toUpperCase()
        if (step.choose === undefined && this.absent === typed) return `${ABSENT}${typed}`
        return step.choose
      }
      if ('wait' in step) {
        await this.arriving
        continue
      }
      let found: Suggestion | undefined
      try {
        found = await this.exact(step.lookup)
      } catch {
        // No answer is not "no such item": said as the node not answering, and no other item
        // chosen for the code.
        this.suggestions = []
        return UNREACHABLE
      }
      if (!found) {
        this.absent = step.lookup
        continue
      }
      this.suggestions = [found]
      this.select = 0
      return found.value
    }
  }
}

/** The prompt type to ask for, registered with prompts when this module loads. */
export const ITEM_PROMPT = 'item'

const types = prompts.prompts as unknown as Record<string, (options: ItemQuestion) => unknown>
types[ITEM_PROMPT] ??= function itemPrompt(options) {
  return new Promise((resolve, reject) => {
    const prompt = new ItemPrompt(options)
    const onState = (options as { onState?: (state: unknown) => void }).onState
    if (onState) prompt.on('state', onState)
    prompt.on('submit', resolve)
    prompt.on('exit', resolve)
    prompt.on('abort', reject)
  })
}
