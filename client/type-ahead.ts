// Keys typed ahead of the question they are meant for. A clerk or a scanner types the quantity,
// Enter, the reference, Enter, faster than the menus move on. prompts takes keys from stdin as
// they come: those that arrive while an answer is being checked (its `validate` is awaited) are
// added to that answer ("25PO-99"), and those that arrive between two questions (the node being
// asked meanwhile) reach no question at all and are lost.
//
// So the menus' questions read a stream of their own. Each question is given what was typed for
// it, up to and including its Enter, and nothing after, until it has closed and the next has
// opened: every line goes to the question it was typed for. A line the check refuses drops what
// was typed after it (it was meant for later questions, whose place it would otherwise take),
// and the person types on from the mistake shown.
import { PassThrough } from 'node:stream'
import { StringDecoder } from 'node:string_decoder'

/** What a question needs of the terminal: its keys, and raw mode while it has them. */
export interface Keyboard {
  on(event: 'data', listener: (chunk: Buffer | string) => void): unknown
  setRawMode?(raw: boolean): unknown
}

/** Ctrl-C: never held, since it is how a person stops a question that is deciding. */
const CTRL_C = '\x03'
/**
 * Ctrl-U, which empties the line in a shell, would go into the answer as a control character
 * (prompts knows no Ctrl-U), and the answer then be refused for it: given as Ctrl-G, which
 * prompts takes as "start this answer again".
 */
const CTRL_U = /\x15/g
const START_AGAIN = '\x07'
/** A key that is no text (Ctrl-C, Ctrl-D, Esc…): never held at a yes/no question. */
const CONTROL_KEY = /^[\x00-\x08\x0b-\x1f\x7f]/

export class TypeAhead {
  /** What the questions read (prompts' `stdin`): not a terminal, so prompts sets no mode on it. */
  readonly input = new PassThrough()
  /** Typed and not yet given to a question. */
  private pending = ''
  /** A question has the keyboard and takes keys as they come (none since its answer). */
  private giving = false
  /** A question is open (from its first render until its answer is in). */
  private open = false
  /** Counts the questions opened, so that a late start is not taken for the next question's. */
  private opening = 0
  /** What ends the open question's answer: Enter, and for a yes/no question its y or n too. */
  private ends = /[\r\n]/
  /** The open question is a yes/no one: its answer is a y or an n alone, or Enter. */
  private yesNo = false
  /**
   * The open question is a choice from a list (a menu): arrows and Enter answer it, and a space
   * alone; a line of text does not (prompts ignores its letters and takes its Enter, or a space
   * in it, for the highlighted entry: a scan meant for the next question chose in the menu).
   */
  private choice = false
  /**
   * The entries of a choice that may be chosen by name (a warehouse): a line typed there that
   * starts one entry's title, and no other's, chooses it.
   */
  private named: string[] = []
  /**
   * At a yes/no question, the start of a line that is no answer (not a y, an n, an Enter or a
   * control key), held until its Enter drops it; a y or n typed after it, by hand, answers.
   */
  private held = ''
  /** A line dropped there ended with a CR: an LF that follows is its, not an Enter of its own. */
  private droppedCR = false
  /** Where, in `pending`, each chunk read after the first began: a y or n alone ends one. */
  private chunks: number[] = []
  /**
   * A yes/no question was answered with its y or n: an Enter typed next, before the next question
   * listens, belongs to that answer (the habit of y then Enter), not to the next question, whose
   * default it would take. One typed once the next question listens is that question's.
   */
  private afterYesNo = false
  /**
   * Keys are dropped until the next question opens: the flow they were typed for was left with
   * Ctrl-C (a line already read can reach this node after the signal that left it).
   */
  private discarding = false
  private readonly decoder = new StringDecoder('utf8')

  constructor(private readonly keyboard: Keyboard) {
    keyboard.on('data', (chunk) => {
      const typed = typeof chunk === 'string' ? chunk : this.decoder.write(chunk)
      const text = typed.replace(CTRL_U, START_AGAIN)
      if (this.discarding && !this.open) return
      if (!this.giving && text.includes(CTRL_C)) {
        // The question that has its answer is still deciding (a look-up): Ctrl-C goes to it, and
        // what was typed ahead goes with the question it was typed after.
        this.drop()
        this.input.write(CTRL_C)
        return
      }
      if (this.pending) this.chunks.push(this.pending.length)
      this.pending += text
      this.pump()
    })
  }

  /**
   * A question has the keyboard (its first render, inside its constructor): it gets what was
   * typed for it once it listens for its own answer, on the next turn (a yes/no question would
   * otherwise answer before anyone heard it, and the menus would wait for ever). `ends` is what
   * ends its answer.
   */
  opened(ends = /[\r\n]/, choice: boolean | string[] = false): void {
    this.keyboard.setRawMode?.(true)
    this.ends = ends
    this.yesNo = ends.test('y')
    this.choice = choice !== false
    this.named = Array.isArray(choice) ? choice : []
    this.held = ''
    this.droppedCR = false
    this.open = true
    this.discarding = false
    const opening = ++this.opening
    setImmediate(() => {
      if (!this.open || opening !== this.opening) return
      this.giving = true
      this.dropYesNoEnter()
      // From now on an Enter is this question's, whatever came before it.
      this.afterYesNo = false
      this.pump()
    })
  }

  /** What was typed ahead is not for the questions to come (a choice refused): dropped. */
  drop(): void {
    this.pending = ''
    this.chunks = []
    this.afterYesNo = false
    this.held = ''
    this.droppedCR = false
  }

  /**
   * The flow the keys were typed for was left (Ctrl-C out of a wait for the node): what was typed
   * ahead is dropped, and so is what still arrives before the next question opens.
   */
  left(): void {
    this.drop()
    this.discarding = true
  }

  /** Its answer is in: what was typed after its Enter waits for the next question. */
  closed(): void {
    this.open = false
    this.giving = false
    this.keyboard.setRawMode?.(false) // between questions Ctrl-C is SIGINT (ctrl-c.ts)
  }

  /** Its answer was refused: what was typed after it is dropped, and keys go to it again. */
  refused(): void {
    this.drop()
    this.giving = this.open
  }

  /** The Enter typed right after a y or n, if it is the next key: dropped with the flag. */
  private dropYesNoEnter(): void {
    if (!this.afterYesNo || !this.pending) return
    this.afterYesNo = false
    const enter = /^(\r\n|\r|\n)/.exec(this.pending)
    if (enter) this.consume(enter[0].length)
  }

  /**
   * At a yes/no question, a line that is not a y or an n alone (a scan, a word) is no answer:
   * prompts would skip its other letters and take its Enter as the default, yes, so a scan meant
   * for the next item confirmed this one (and YOKE-10 answered yes with its Y, OKE-10 then
   * choosing in the next menu). Such a line is held, and dropped whole once its Enter comes; a
   * y or n typed after it, in a later chunk (a stray key, then the answer), drops it and answers.
   * Control keys (Ctrl-C, Ctrl-D, Esc) are never held. True when `pending` was changed or is held
   * (`held`); false when its start is for prompts as it is.
   */
  private notAnAnswer(): boolean {
    if (this.droppedCR && this.pending.startsWith('\n')) this.consume(1)
    this.droppedCR = false
    // At a choice by name, Backspace takes back a letter of the name typed so far (not in a
    // line with an arrow's Esc: that goes to the menu as it came).
    if (this.named.length) {
      const end = this.pending.search(/[\r\n]/)
      const line = end < 0 ? this.pending : this.pending.slice(0, end)
      if (/[\x7f\b]/.test(line) && !line.includes('\x1b')) {
        let edited = ''
        for (const c of line) edited = /[\x7f\b]/.test(c) ? edited.slice(0, -1) : edited + c
        this.pending = edited + (end < 0 ? '' : this.pending.slice(end))
        this.chunks = []
        this.held = ''
      }
    }
    if (this.held && this.pending.startsWith(this.held)) {
      const next = this.pending[this.held.length]
      if (next !== undefined && /[yYnN]/.test(next) && !this.choice) {
        // The answer came after a stray key: the key goes.
        this.consume(this.held.length)
        this.held = ''
        return true
      }
    }
    this.held = ''
    // An Enter, a control key (an arrow is one: Esc and its letters), or a yes/no question's y or
    // n alone, a menu's space alone (its Enter next, or the end of its chunk: typed by hand): for
    // prompts as they are. One with more after it in one burst is a scan.
    if (!this.pending || /^[\r\n]/.test(this.pending) || CONTROL_KEY.test(this.pending))
      return false
    const answers = (this.choice ? this.moves() : /[yYnN]/).test(this.pending[0])
    const alone = this.pending.length === 1 || /[\r\n]/.test(this.pending[1])
    if (answers && (alone || this.chunks[0] === 1)) return false
    const stop = this.pending.search(/[\r\n]|[\x00-\x08\x0b-\x1f\x7f]/)
    if (stop < 0) {
      this.held = this.pending
      return true
    }
    const at = this.pending[stop]
    if (at === '\r' || at === '\n') {
      const line = this.pending.slice(0, stop)
      this.consume(stop + 1)
      if (at === '\r') {
        if (this.pending.startsWith('\n')) this.consume(1)
        else this.droppedCR = this.pending === ''
      }
      this.chooseNamed(line)
    } else this.consume(stop) // a control key: it goes to prompts next
    return true
  }

  /**
   * The keys alone that answer or move a menu besides arrows and Enter: a space chooses, Tab and
   * prompts' j and k move (a name may start with j or k: not at a choice by name).
   */
  private moves(): RegExp {
    return this.named.length ? /[ \t]/ : /[ \tjk]/
  }

  /**
   * A line typed at a choice by name: the one entry whose title it starts (in any case) is
   * chosen, as its keys would choose it (Ctrl-A to the first entry, Down to it, Enter).
   */
  private chooseNamed(line: string): void {
    const typed = line.trim().toLowerCase()
    if (!typed) return
    // A whole name chooses its entry even when it starts another's (Sevilla, Sevilla-Este); a
    // start alone chooses only when it fits one entry.
    const whole = this.named.flatMap((name, i) => (name.toLowerCase() === typed ? [i] : []))
    const matches =
      whole.length > 0
        ? whole
        : this.named.flatMap((name, i) => (name.toLowerCase().startsWith(typed) ? [i] : []))
    if (matches.length !== 1) return
    this.input.write(`\x01${'\x1b[B'.repeat(matches[0])}\r`)
    this.giving = false // answered: until this question closes and the next opens
  }

  /** The first `n` characters of `pending` are given or dropped. */
  private consume(n: number): void {
    this.pending = this.pending.slice(n)
    this.chunks = this.chunks.map((at) => at - n).filter((at) => at > 0)
  }

  private pump(): void {
    this.dropYesNoEnter()
    while (this.giving && this.pending) {
      if ((this.yesNo || this.choice) && this.notAnAnswer()) {
        if (this.held) return // the rest of its line has not come yet
        continue
      }
      const end = this.pending.search(this.ends)
      if (end < 0) {
        this.input.write(this.pending)
        this.consume(this.pending.length)
        return
      }
      this.afterYesNo = !/[\r\n]/.test(this.pending[end])
      this.input.write(this.pending.slice(0, end + 1))
      this.consume(end + 1)
      this.giving = false // until this question closes and the next opens, or the line is refused
      if (this.afterYesNo) return this.pump() // its Enter, if already typed, goes with it
    }
  }
}

/** The state of a prompts question that onRender reads (`this` is the prompt). */
interface Rendered {
  done?: boolean
  aborted?: boolean
  exited?: boolean
}

/**
 * The options that make a prompts question read through `typeAhead`: its stream, its opening
 * and closing from its renders, and its check's refusals from `validate` (wrapped).
 */
export function throughTypeAhead<Q extends { validate?: unknown; type?: unknown }>(
  typeAhead: TypeAhead,
  question: Q
) {
  let opened = false
  const ends = question.type === 'confirm' ? /[\r\nyYnN]/ : /[\r\n]/
  // A choice by name carries each entry's name (its title may say more: "Sevilla (failed…)").
  const { byName } = question as { byName?: string[] }
  const choice = question.type !== 'select' ? false : (byName ?? true)
  const validate = question.validate as ((value: unknown) => unknown) | undefined
  return {
    ...question,
    stdin: typeAhead.input,
    onRender(this: Rendered) {
      if (!opened) {
        opened = true
        typeAhead.opened(ends, choice)
      }
      if (this.done || this.aborted || this.exited) typeAhead.closed()
    },
    ...(validate && {
      async validate(value: unknown) {
        const verdict = await validate(value)
        if (verdict !== true) typeAhead.refused()
        return verdict
      },
    }),
  }
}
