// What Enter chooses in the item picker, decided from what was typed and the list in hand.
import { PassThrough } from 'node:stream'
import prompts from 'prompts'
import t from 'tap'
import {
  ABSENT,
  ITEM_PROMPT,
  onEnter,
  UNREACHABLE,
  type EnterState,
  type ItemQuestion,
  type Suggestion,
} from '../../client/item-prompt.ts'

const state = (over: Partial<EnterState>): EnterState => ({
  input: '',
  listFor: '',
  values: [],
  select: 0,
  full: false,
  moved: false,
  ...over,
})

const PART_25 = ['PART-25', 'PART-250', 'PART-251', 'PART-252']

t.test('a list that is behind the text never decides', async (t) => {
  // Typed PART-250 and Enter before the list for it came: the list in hand is for "".
  const behind = state({ input: 'PART-250', values: ['BOLT-M8', 'PART-1'], full: true })
  t.same(onEnter(behind), { lookup: 'PART-250' }, 'a whole SKU is asked for')
  t.same(
    onEnter({ ...behind, absent: 'PART-250' }),
    { choose: undefined },
    'no such item: said, the list that comes after is not awaited to choose another'
  )
  t.same(onEnter(state({ input: 'bolt m', listFor: 'bolt', values: ['BOLT-M8'] })), {
    wait: true,
  })
})

t.test('the typed text, trimmed and upper-cased, is chosen when it is a SKU', async (t) => {
  t.same(onEnter(state({ input: ' washer-m8 ', listFor: 'w', values: ['WASHER-M8'] })), {
    choose: 'WASHER-M8',
  })
  // The list is current but cut short: the exact SKU may be beyond it, so it is asked for.
  t.same(onEnter(state({ input: 'm8', listFor: 'm8', values: ['BOLT-M8'], full: true })), {
    lookup: 'M8',
  })
  t.same(onEnter(state({ input: 'PART-25', listFor: 'PART-25', values: PART_25, select: 2 })), {
    choose: 'PART-25',
  })
})

t.test('a current list decides on its highlighted row', async (t) => {
  t.same(onEnter(state({ input: 'PART-25', listFor: 'PART-25', values: PART_25 })), {
    choose: 'PART-25',
  })
  t.same(onEnter(state({ input: 'part 25', listFor: 'part 25 ', values: PART_25, select: 1 })), {
    choose: 'PART-250',
  })
  t.same(onEnter(state({ input: 'zz', listFor: 'zz', values: [] })), { choose: undefined })
})

t.test('a highlight the person moved on the current list wins over the SKU typed', async (t) => {
  const moved = state({ input: 'PART-25', listFor: 'PART-25', values: PART_25, moved: true })
  t.same(onEnter({ ...moved, select: 3 }), { choose: 'PART-252' })
  // Moved on an older list, then typed on: the list in hand is behind, the move counts for nothing.
  const older = { listFor: 'PART-2', values: ['PART-2', 'PART-20', 'PART-200'], select: 2 }
  t.same(onEnter({ ...moved, ...older }), { lookup: 'PART-25' })
})

t.test('a list of items ends on Enter with nothing typed, unless a row was picked', async (t) => {
  const list = { listFor: '', values: ['BOLT-M8', 'NUT-M8'], endOnEmpty: true }
  t.same(onEnter(state(list)), { choose: '' }, 'done, not the first row')
  t.same(onEnter(state({ ...list, listFor: undefined })), { choose: '' }, 'before any list came')
  t.same(onEnter(state({ ...list, moved: true, select: 1 })), { choose: 'NUT-M8' })
  t.same(onEnter(state({ ...list, input: 'nut-m8', listFor: 'nut-m8' })), { choose: 'NUT-M8' })
  t.same(onEnter(state({ ...list, endOnEmpty: false })), { choose: 'BOLT-M8' }, 'a single item')
})

t.test('a list that says the node did not answer: a whole SKU is asked for again', async (t) => {
  // A scanner's PART-2 and Enter, while the one suggestion request for it went unanswered.
  const failed = state({ input: 'PART-2', listFor: 'PART-2', values: [UNREACHABLE], failed: true })
  t.same(onEnter(failed), { lookup: 'PART-2' }, 'the scan is not lost to one slow answer')
  t.same(
    onEnter({ ...failed, absent: 'PART-2' }),
    { choose: UNREACHABLE },
    'no answer to that either: the node does not answer, said as before'
  )
  t.same(onEnter({ ...failed, input: 'part 2', listFor: 'part 2' }), { choose: UNREACHABLE })
})

t.test(
  'a code scanned ahead of its list that is no item chooses nothing, said as such',
  async (t) => {
    const suggested = ['BOLT-M8', 'NUT-M8'] // what a search for "m8" finds
    // Enter before the list for M8 came, and the list after it.
    const scanned = state({ input: 'M8', listFor: 'M', values: suggested, ahead: true })
    t.same(onEnter(scanned), { lookup: 'M8' })
    t.same(onEnter({ ...scanned, absent: 'M8' }), { choose: undefined }, 'not BOLT-M8')
    const arrived = { ...scanned, listFor: 'M8' }
    t.same(onEnter(arrived), { lookup: 'M8' }, 'the list came while Enter was decided')
    t.same(onEnter({ ...arrived, absent: 'M8' }), { choose: undefined })
    // The list was on screen when Enter came: a person's search, decided on the highlighted row;
    // and a row the person moved to is theirs, however fast the Enter.
    t.same(onEnter({ ...arrived, ahead: false }), { choose: 'BOLT-M8' })
    t.same(onEnter({ ...arrived, moved: true, select: 1 }), { choose: 'NUT-M8' })
  }
)

/** The item prompt in a fake terminal: keys are written to `keys`; resolves to its answer. */
function itemPrompt(question: Partial<ItemQuestion>) {
  // A real prompt: prompts answers from its injected list whenever there is one, even empty, and
  // a test file before this one in the same process (tests/one-process/) may have left one.
  delete (prompts as unknown as { _injected?: unknown[] })._injected
  const keys = new PassThrough()
  const out = Object.assign(new PassThrough(), { columns: 80 })
  out.resume()
  const answer = prompts({
    type: ITEM_PROMPT,
    name: 'value',
    message: 'Item',
    choices: [],
    limit: 10,
    stdin: keys,
    stdout: out,
    suggest: async () => [],
    item: { exact: async () => undefined },
    ...question,
  } as never).then((a: { value?: string }) => a.value)
  return { keys, answer }
}

const later = <T>(ms: number, value: T) =>
  new Promise<T>((resolve) => setTimeout(resolve, ms, value))

/** What a search for "m8" finds. */
const M8: Suggestion[] = [
  { title: 'BOLT-M8  Bolt M8 zinc', value: 'BOLT-M8' },
  { title: 'NUT-M8  Nut M8', value: 'NUT-M8' },
]
/** The node, slow: its suggestions come 20 ms later. */
const slowSearch = () => later(20, M8)

t.test('a scanned code that is no item is answered as absent, never another item', async (t) => {
  const { keys, answer } = itemPrompt({ suggest: slowSearch })
  keys.write('M8\r') // a scanner: the code and Enter in one burst
  t.equal(await answer, `${ABSENT}M8`)
  // A node quick enough that the list for M8 is in hand when the scanner's Enter comes.
  const quick = itemPrompt({ suggest: async () => M8 })
  quick.keys.write('M8')
  await new Promise(setImmediate)
  quick.keys.write('\r')
  t.equal(await quick.answer, `${ABSENT}M8`)
  // A scanner that types a key every 40 ms, and sends its Enter as late: the quick node's list
  // for M8 is in hand well before it, but no one could have read it.
  const paced = itemPrompt({ suggest: async () => M8 })
  for (const key of ['M', '8', '\r']) {
    await later(40, null)
    paced.keys.write(key)
  }
  t.equal(await paced.answer, `${ABSENT}M8`)
})

t.test('a look-up the node did not answer is not taken as "no such item"', async (t) => {
  const exact = async (): Promise<Suggestion | undefined> => {
    throw new Error('no answer')
  }
  const { keys, answer } = itemPrompt({ suggest: slowSearch, item: { exact } })
  keys.write('M8\r')
  t.equal(await answer, UNREACHABLE, 'said as the node not answering')
})

t.test('a person who typed a search and saw its list chooses the highlighted row', async (t) => {
  const first = itemPrompt({ suggest: slowSearch })
  first.keys.write('m8')
  await later(800, null) // the list is on screen, and read (0.2 s and more after it came)
  first.keys.write('\r')
  t.equal(await first.answer, 'BOLT-M8')
  // Browsing with the arrow keys: the row moved to.
  const second = itemPrompt({ suggest: slowSearch })
  second.keys.write('m8')
  await later(100, null)
  second.keys.write('\u001b[B') // ↓
  second.keys.write('\r')
  t.equal(await second.answer, 'NUT-M8')
})
