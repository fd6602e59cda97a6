// `npm start`: parse the configuration, start the node, stop cleanly on SIGTERM or Ctrl-C.
import { ConfigError, USAGE, describeConfig, parseConfig } from './config.ts'
import { createLogger } from '../lib/logger.ts'
import { VERSION, startNode, type RunningNode } from './node.ts'
import { startRefusal } from './start-refusal.ts'

let config
try {
  config = parseConfig(process.argv.slice(2), process.env)
} catch (err) {
  if (!(err instanceof ConfigError)) throw err
  // The reason alone, where a service's log shows it: the usage would bury it under 90 lines.
  process.stderr.write(`almacen: ${err.message}\n(npm start -- --help lists every setting)\n`)
  process.exit(2)
}
if (config === 'help' || config === 'version') {
  process.stdout.write(config === 'help' ? USAGE : `almacen ${VERSION}\n`)
  process.exit(0)
}

const log = createLogger(config.logLevel, { node: config.name })

// The signals are heard from the first moment: one that comes while the node starts (a service
// manager's stop, Ctrl-C) stops it as soon as it is up, never kills it half-way. Under
// `npm start`, Ctrl-C reaches the node twice: from the terminal, and passed on by npm a moment
// later. Only a signal well after the first one means "exit now".
const REPEAT_MS = 1000
let stoppingSince = 0
let node: RunningNode | undefined
let pending: NodeJS.Signals | undefined
function stop(signal: NodeJS.Signals) {
  if (stoppingSince > 0) {
    if (Date.now() - stoppingSince < REPEAT_MS) return
    log.warn({ signal }, 'second signal: exiting now')
    process.exit(1)
  }
  stoppingSince = Date.now()
  if (node) close(node, signal)
  else {
    pending = signal
    log.info({ signal }, 'stopping once the node has started')
  }
}
function close(started: RunningNode, signal: NodeJS.Signals) {
  log.info({ signal }, 'stopping: finishing requests in flight')
  started.close().then(
    () => {
      log.info('stopped')
      process.exit(0)
    },
    (err) => {
      log.error({ err }, 'unclean stop')
      process.exit(1)
    }
  )
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)

log.info({ version: VERSION, config: describeConfig(config) }, 'almacen starting')
node = await startNode(config, log).catch((err: NodeJS.ErrnoException) => {
  // Ctrl-C in a terminal reaches the worker too, which may die of it before it is ready: a start
  // stopped as asked, not a failure. Any other failure is one, signal or not.
  const killed = (err as { signal?: string | null }).signal
  if (pending && (killed === 'SIGINT' || killed === 'SIGTERM' || killed === 'SIGHUP')) {
    log.info({ signal: pending, why: err.message }, 'stopped before it had started')
    process.exit(0)
  }
  // What the machine refused (the port, the data directory, the database file): a sentence too.
  // Its log line says it with the error's type and code (SQLite's is in its message, which the
  // sentence names), not a stack: the cause is known, and a person reading the terminal meets
  // the sentence, not a trace of the code that found it.
  const sentence = startRefusal(err, config)
  if (sentence) log.fatal({ type: err.constructor.name, code: err.code }, sentence)
  else log.fatal({ err }, err.message)
  if (sentence) process.stderr.write(`almacen: ${sentence}\n`)
  process.exit(1)
})
log.info(
  { url: node.url, id: node.identity.id, name: node.identity.name },
  `almacen listening on ${node.url}`
)
if (pending) close(node, pending)
