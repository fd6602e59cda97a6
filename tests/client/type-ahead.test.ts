import { EventEmitter } from 'node:events'
import t from 'tap'
import { TypeAhead } from '../../client/type-ahead.ts'

/** A keyboard that types what the test says, and the mode each question set on it. */
function keyboard() {
  const keys = new EventEmitter()
  const modes: boolean[] = []
  const typeAhead = new TypeAhead({
    on: (event, listener) => keys.on(event, listener),
    setRawMode: (raw) => modes.push(raw),
  })
  let given = ''
  typeAhead.input.on('data', (chunk: Buffer) => (given += chunk.toString()))
  const read = async () => {
    await new Promise((resolve) => setImmediate(resolve))
    const out = given
    given = ''
    return out
  }
  const type = (text: string) => keys.emit('data', Buffer.from(text, 'latin1'))
  return { type, typeAhead, read, modes }
}

t.test('each question gets the keys typed for it, up to its Enter, and no more', async (t) => {
  const { type, typeAhead, read, modes } = keyboard()
  type('BOLT') // before any question: kept
  t.equal(await read(), '')
  typeAhead.opened()
  t.equal(await read(), 'BOLT')
  type('-M8\r25\rPO-99\r')
  t.equal(await read(), '-M8\r', 'the SKU question: its line, not the next ones')
  typeAhead.closed()
  typeAhead.opened()
  t.equal(await read(), '25\r', 'the quantity')
  typeAhead.closed()
  typeAhead.opened()
  t.equal(await read(), 'PO-99\r')
  typeAhead.closed()
  typeAhead.opened()
  const [first, second] = [...Buffer.from('é')]
  type(Buffer.from([first]).toString('latin1')) // one byte of two: nothing given yet
  t.equal(await read(), '')
  type(Buffer.from([second]).toString('latin1'))
  t.equal(await read(), 'é', 'a character split across chunks is given whole')
  t.same(modes, [true, false, true, false, true, false, true], 'raw while a question has the keys')
})

t.test(
  'Ctrl-U starts the answer again (prompts is given its Ctrl-G), never typed into it',
  async (t) => {
    const { type, typeAhead, read } = keyboard()
    typeAhead.opened()
    type('wrong ref\x15PO-7\r')
    t.equal(await read(), 'wrong ref\x07PO-7\r')
  }
)

t.test('a refused answer drops what was typed after it; keys go to it again', async (t) => {
  const { type, typeAhead, read } = keyboard()
  typeAhead.opened()
  type('0\rPO-1\rnote\r')
  t.equal(await read(), '0\r')
  typeAhead.refused()
  t.equal(await read(), '', 'the rest was meant for the next questions: dropped')
  type('5\rPO-2\r')
  t.equal(await read(), '5\r')
  typeAhead.closed()
  typeAhead.opened()
  t.equal(await read(), 'PO-2\r')
})

t.test('a yes/no question answers with its y or n: what follows waits for the next', async (t) => {
  const { type, typeAhead, read } = keyboard()
  type('y')
  type('next\r')
  typeAhead.opened(/[\r\nyYnN]/)
  t.equal(await read(), 'y')
  typeAhead.closed()
  typeAhead.opened()
  t.equal(await read(), 'next\r')
})

t.test(
  'a scan that starts with y or n, in one burst, is no answer to a yes/no question either',
  async (t) => {
    const { type, typeAhead, read } = keyboard()
    typeAhead.opened(/[\r\nyYnN]/)
    type('YOKE-10\r')
    t.equal(await read(), '', 'not a yes, and nothing of it for the next question')
    type('NUT-M8\r')
    t.equal(await read(), '', 'not a no')
    type('n')
    t.equal(await read(), 'n', 'an n alone answers')
  }
)

t.test(
  "a line of text at a menu chooses nothing: its Enter is not the highlighted entry's",
  async (t) => {
    const { type, typeAhead, read } = keyboard()
    typeAhead.opened(/[\r\n]/, true)
    type('BOLT-M10\r')
    t.equal(await read(), '', 'a scan: dropped with its Enter')
    type('NUT M8\r')
    t.equal(await read(), '', 'one with a space, which prompts takes as a choice: dropped too')
    type('BOLT')
    t.equal(await read(), '', 'held until its Enter')
    type('-M8\r')
    t.equal(await read(), '', 'and dropped whole, however it came')
    type('\x1b[B')
    t.equal(await read(), '\x1b[B', 'an arrow is for the menu')
    type('\r')
    t.equal(await read(), '\r', 'and an Enter of its own chooses')
    typeAhead.closed()
    typeAhead.opened(/[\r\n]/, true)
    type('j')
    t.equal(await read(), 'j', "prompts' j alone moves down")
    type('\t')
    t.equal(await read(), '\t', 'and Tab')
    type(' ')
    t.equal(await read(), ' ', 'a space alone chooses, as prompts has it')
    typeAhead.closed()
    typeAhead.opened()
    type('BOLT-M8\r')
    t.equal(await read(), 'BOLT-M8\r', 'a question that takes text takes the line')
  }
)

t.test(
  'a choice by name: a line that starts one entry chooses it; any other, nothing',
  async (t) => {
    const { type, typeAhead, read } = keyboard()
    const titles = ['Bilbao', 'Sevilla', 'Segovia']
    typeAhead.opened(/[\r\n]/, titles)
    type('sevilla\r')
    t.equal(await read(), '\x01\x1b[B\r', 'Ctrl-A to the first, Down once, Enter')
    type('5\r')
    t.equal(await read(), '', 'answered: what follows waits for the next question')
    typeAhead.closed()
    typeAhead.opened()
    t.equal(await read(), '5\r')
    typeAhead.closed()
    typeAhead.opened(/[\r\n]/, titles)
    type('SE\r')
    t.equal(await read(), '', 'Sevilla or Segovia: nothing chosen')
    type('Madrid\r')
    t.equal(await read(), '', 'no such warehouse: nothing chosen')
    type(' BIL\r')
    t.equal(await read(), '\x01\r', 'the first, in any case, spaces aside')
    typeAhead.closed()
    // A whole name that starts another's: its own entry (Sevilla, not Sevilla-Este).
    typeAhead.opened(/[\r\n]/, ['Sevilla-Este', 'Sevilla (Norte)', 'Sevilla'])
    type('sevilla\r')
    t.equal(await read(), '\x01\x1b[B\x1b[B\r', 'Sevilla, not Sevilla-Este nor Sevilla (Norte)')
    typeAhead.closed()
    // Typed by hand: a j starts a name here (it moves nothing), and Backspace takes a letter back.
    typeAhead.opened(/[\r\n]/, ['Jerez', 'Madrid'])
    type('j')
    t.equal(await read(), '', 'held: the start of a name')
    type('erez\r')
    t.equal(await read(), '\x01\r', 'Jerez')
    typeAhead.closed()
    typeAhead.opened(/[\r\n]/, ['Jerez', 'Madrid'])
    type('Mae')
    type('\x7f')
    type('drid\r')
    t.equal(await read(), '\x01\x1b[B\r', 'Mae, Backspace, drid: Madrid')
  }
)

t.test(
  'Ctrl-C reaches a question still deciding its answer, and drops what followed',
  async (t) => {
    const { type, typeAhead, read } = keyboard()
    typeAhead.opened()
    type('PART-25\r3\r')
    t.equal(await read(), 'PART-25\r')
    type('\x03')
    t.equal(await read(), '\x03', 'not held for the next question')
    typeAhead.closed()
    typeAhead.opened()
    t.equal(await read(), '', 'the quantity typed after went with it')
  }
)

t.test(
  'a question closed before it started to listen gives nothing to its successor early',
  async (t) => {
    const { type, typeAhead, read } = keyboard()
    type('a\r')
    typeAhead.opened()
    typeAhead.closed() // answered from elsewhere (an injected answer) before the next turn
    t.equal(await read(), '')
    typeAhead.opened()
    t.equal(await read(), 'a\r')
  }
)

t.test(
  'a yes/no question answered with y then Enter: the Enter is part of its answer, not the next',
  async (t) => {
    const { type, typeAhead, read } = keyboard()
    type('y\r5\r')
    typeAhead.opened(/[\r\nyYnN]/)
    t.equal(await read(), 'y')
    typeAhead.closed()
    typeAhead.opened()
    t.equal(await read(), '5\r', 'the next question gets its own line, not an empty one')
    typeAhead.closed()
    // An Enter typed on its own after the y or n, before the next question listens: the same.
    typeAhead.opened(/[\r\nyYnN]/)
    type('n')
    t.equal(await read(), 'n')
    typeAhead.closed()
    type('\r')
    typeAhead.opened()
    t.equal(await read(), '', 'that Enter answered nothing')
    type('PO-9\r')
    t.equal(await read(), 'PO-9\r')
    typeAhead.closed()
    // Once the next question listens, an Enter is its own (a menu's choice, after a look).
    typeAhead.opened(/[\r\nyYnN]/)
    type('y')
    t.equal(await read(), 'y')
    typeAhead.closed()
    typeAhead.opened()
    t.equal(await read(), '')
    type('\r')
    t.equal(await read(), '\r', 'the question open now takes it')
  }
)

t.test('Ctrl-C after a y or n ends the y/n Enter rule with what it drops', async (t) => {
  const { type, typeAhead, read } = keyboard()
  typeAhead.opened(/[\r\nyYnN]/)
  type('y')
  t.equal(await read(), 'y')
  type('\x03') // the answer is still deciding (a look-up): Ctrl-C goes to it
  t.equal(await read(), '\x03')
  typeAhead.closed()
  type('\r')
  typeAhead.opened()
  t.equal(await read(), '\r', 'an Enter after the Ctrl-C is the next question’s, not dropped')
})

t.test(
  'a flow left with Ctrl-C: what was typed for it is dropped, and what still arrives before the next question',
  async (t) => {
    const { type, typeAhead, read } = keyboard()
    typeAhead.opened()
    type('y')
    t.equal(await read(), 'y')
    typeAhead.closed() // the receipt is sent; the node does not answer
    type('NUT-M8\r') // a scan while it waits
    typeAhead.left() // Ctrl-C: back to the menu
    type('\r') // a line read before the signal, delivered after it
    typeAhead.opened() // the menu
    t.equal(await read(), '', 'the menu chooses nothing it was not asked to')
    type('\r')
    t.equal(await read(), '\r', 'keys typed once it asks are its own')
  }
)

t.test(
  'a scan at a yes/no question is no answer: dropped whole, not taken as Enter, the default yes',
  async (t) => {
    const { type, typeAhead, read } = keyboard()
    typeAhead.opened(/[\r\nyYnN]/)
    type('BOLT') // a scan, its Enter not here yet: nothing given
    t.equal(await read(), '')
    type('-M8\r')
    t.equal(await read(), '', 'the whole line dropped, its Enter with it')
    type('\r')
    t.equal(await read(), '\r', 'an Enter alone is an answer (the default)')
    typeAhead.closed()
    typeAhead.opened(/[\r\nyYnN]/)
    type('7\rn')
    t.equal(await read(), 'n', 'a line dropped, then the n after it answers')
  }
)

t.test(
  'at a yes/no question: Ctrl-C, Ctrl-D and Esc reach it at once; a stray key then a y or n answers; a scan split before its LF drops it all',
  async (t) => {
    for (const key of ['\x03', '\x04', '\x1b']) {
      const { type, typeAhead, read } = keyboard()
      typeAhead.opened(/[\r\nyYnN]/)
      type(key)
      t.equal(await read(), key, JSON.stringify(key))
    }
    const { type, typeAhead, read } = keyboard()
    typeAhead.opened(/[\r\nyYnN]/)
    type('x') // a stray key
    t.equal(await read(), '')
    type('n') // then the answer, by hand
    t.equal(await read(), 'n', 'the stray key goes, the n answers')
    typeAhead.closed()
    typeAhead.opened(/[\r\nyYnN]/)
    type('BOLT-M8\r') // a scan ending CR LF, its LF in the next chunk
    type('\n')
    t.equal(await read(), '', 'its LF is dropped with it, not taken as an Enter')
    type('q\x03') // a stray key, then Ctrl-C: the Ctrl-C reaches the question
    t.equal(await read(), '\x03')
  }
)
