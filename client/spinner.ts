// "Working…" on stderr when a call takes longer than a moment. Quick calls print nothing, so the
// screen does not flicker; when stderr is not a terminal (a script, a log) nothing is ever drawn.
import type { Progress } from './api.ts'
import type { Output } from './io.ts'

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏']

export function createSpinner(stream: Output, delayMs = 300): Progress | undefined {
  if (!stream.isTTY) return undefined
  let depth = 0
  let text = 'working…'
  let frame = 0
  let shown = false
  let timer: NodeJS.Timeout | undefined

  function draw() {
    shown = true
    const columns = stream.columns || 80
    stream.write(`\r\x1b[2K${FRAMES[frame++ % FRAMES.length]} ${text}`.slice(0, columns + 5))
  }

  return {
    start() {
      if (depth++ > 0) return
      text = 'working…'
      timer = setTimeout(function spin() {
        draw()
        timer = setInterval(draw, 100)
      }, delayMs)
    },
    update(next) {
      text = next
      if (shown) draw()
    },
    stop() {
      if (depth === 0 || --depth > 0) return
      clearTimeout(timer)
      clearInterval(timer)
      if (shown) stream.write('\r\x1b[2K')
      shown = false
    },
  }
}
