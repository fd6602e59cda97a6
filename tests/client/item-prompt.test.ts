// What Enter chooses in the item picker, decided from what was typed and the list in hand.
import t from 'tap'
import { onEnter, UNREACHABLE, type EnterState } from '../../client/item-prompt.ts'

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
  t.same(onEnter({ ...behind, absent: 'PART-250' }), { wait: true }, 'then the list is awaited')
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
