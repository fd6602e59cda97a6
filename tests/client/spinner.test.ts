import { PassThrough } from 'node:stream'
import t from 'tap'
import { createSpinner } from '../../client/spinner.ts'

/** A stream that claims to be a terminal and records what is written to it. */
function terminal(isTTY: boolean) {
  const stream = new PassThrough() as PassThrough & { isTTY: boolean; columns: number }
  stream.isTTY = isTTY
  stream.columns = 80
  let written = ''
  stream.on('data', (chunk) => (written += chunk))
  return { stream: stream as unknown as NodeJS.WriteStream, written: () => written }
}

async function until(check: () => boolean, ms = 2000) {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting')
    await new Promise((resolve) => setImmediate(resolve))
  }
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
  await until(() => term.written().includes('working…'))
  spinner.update('connection refused; trying again (2 of 4)…')
  await until(() => term.written().includes('trying again (2 of 4)'))
  spinner.stop()
  await until(() => term.written().endsWith('\r\x1b[2K'))
  const after = term.written().length
  await new Promise((resolve) => setTimeout(resolve, 120))
  t.equal(term.written().length, after, 'nothing drawn after stop')
})
