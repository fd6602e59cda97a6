// Ctrl-C while the client waits on the node. No prompt has the keyboard then, so the terminal
// sends SIGINT, which would end the process on the spot (exit 130): in the menus the person only
// wanted to go back, and a command that had sent a change would not say which key to retry with.
// Each call in flight is stopped instead (it throws Interrupted); with none, the process ends as
// it would have.
import { EXIT } from './errors.ts'

/** Takes over SIGINT for good; returns the `interrupts` option of createApi. */
export function ctrlC() {
  const stops = new Set<() => void>()
  process.on('SIGINT', function onCtrlC() {
    if (!stops.size) process.exit(EXIT.interrupted)
    for (const stop of stops) stop()
  })
  return function interrupts(stop: () => void) {
    stops.add(stop)
    return () => void stops.delete(stop)
  }
}
