// `npm start`: parse the configuration, start the node, stop cleanly on SIGTERM or Ctrl-C.
import { ConfigError, USAGE, describeConfig, parseConfig } from './config.ts'
import { createLogger } from '../lib/logger.ts'
import { VERSION, startNode } from './node.ts'

let config
try {
  config = parseConfig(process.argv.slice(2), process.env)
} catch (err) {
  if (!(err instanceof ConfigError)) throw err
  process.stderr.write(`almacen: ${err.message}\n\n${USAGE}`)
  process.exit(2)
}
if (config === 'help' || config === 'version') {
  process.stdout.write(config === 'help' ? USAGE : `almacen ${VERSION}\n`)
  process.exit(0)
}

const log = createLogger(config.logLevel, { node: config.name })
log.info({ version: VERSION, config: describeConfig(config) }, 'almacen starting')
const node = await startNode(config, log).catch((err: Error) => {
  log.fatal(err.message)
  process.exit(1)
})
log.info(
  { url: node.url, id: node.identity.id, name: node.identity.name },
  `almacen listening on ${node.url}`
)

// Under `npm start`, Ctrl-C reaches the node twice: from the terminal, and passed on by npm a
// moment later. Only a signal well after the first one means "exit now".
const REPEAT_MS = 1000
let stoppingSince = 0
function stop(signal: NodeJS.Signals) {
  if (stoppingSince > 0) {
    if (Date.now() - stoppingSince < REPEAT_MS) return
    log.warn({ signal }, 'second signal: exiting now')
    process.exit(1)
  }
  stoppingSince = Date.now()
  log.info({ signal }, 'stopping: finishing requests in flight')
  node.close().then(
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
