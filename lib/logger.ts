// The one logger of both processes, the runtime and the database worker: in lib/, which imports
// from neither, so that neither reaches into the other for it.
import { pino, type Logger } from 'pino'

export type { Logger }

/**
 * Structured JSON logs on stdout, one line per event. Lines are written asynchronously, so a
 * request never waits on a write(2) of its log line (profiling showed the node writing one per
 * request); pino flushes what is pending synchronously when the process exits.
 */
export function createLogger(level: string, bindings: Record<string, unknown> = {}): Logger {
  return pino(
    {
      level,
      base: { pid: process.pid, ...bindings },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    pino.destination({ dest: 1, sync: false })
  )
}
