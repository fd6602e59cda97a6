import { PassThrough } from 'node:stream'
import t from 'tap'
import { createSpinner } from '../../client/spinner.ts'
import { until } from '../fixtures/node-process.ts'

/** A stream that claims to be a terminal and records what is written to it. */
function terminal(isTTY: boolean) {
  const stream = new PassThrough() as PassThrough & { isTTY: boolean; columns: number }
  stream.isTTY = isTTY
  stream.columns = 80
  let written = ''
  stream.on('data', (chunk) => (written += chunk))
  return { stream: stream as unknown as NodeJS.WriteStream, written: () => written }
}

t.test('nothing is drawn when stderr is not a terminal', async (t) => {
  t.equal(createSpinner(terminal(false).stream), undefined)
})

t.test('a quick call draws nothing', async (t) => {
  const term = terminal(true)
  const spinner = createSpinner(term.stream, 50)!
  spinner.start()
  spinner.stop()
  await new Promise((resolve) => setTimeout(resolve, 80))
  t.equal(term.written(), '')
})

t.test('a slow call shows that it is working, then clears its line', async (t) => {
  const term = terminal(true)
  const spinner = createSpinner(term.stream, 1)!
  spinner.start()
  await until(() => term.written().includes('working…'), 2000, 'the spinner is drawn')
  spinner.update('connection refused; trying again (2 of 4)…')
  await until(() => term.written().includes('trying again (2 of 4)'), 2000, 'the text is updated')
  spinner.stop()
  await until(() => term.written().endsWith('\r\x1b[2K'), 2000, 'the line is cleared')
  const after = term.written().length
  await new Promise((resolve) => setTimeout(resolve, 120))
  t.equal(term.written().length, after, 'nothing drawn after stop')
})
