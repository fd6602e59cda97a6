// The database worker: a child process of the runtime that owns the SQLite database. It receives
// envelopes on a ZeroMQ Router socket and executes them one at a time, in batches; what it does
// is in db/worker-loop.ts, what belongs to its process (settings, signals, exit) is here.
import type { Logger } from 'pino'
import { createLogger } from '../lib/logger.ts'
import { databaseFile } from './knex-config.ts'
import { workerMetrics } from './metrics.ts'
import type { StartMessage, WorkerSettings } from './settings.ts'
import { openDatabase, serve } from './worker-loop.ts'

async function main(settings: WorkerSettings, log: Logger): Promise<void> {
  const { knex, identity } = await openDatabase(
    databaseFile(settings.dataDir),
    settings.name,
    log,
    { restore: settings.restore }
  )
  // Started without --name: its log lines name the node as its database does from here on.
  if (settings.name === undefined) log.setBindings({ node: identity.name })
  workerMetrics(knex).collectProcess()
  const loop = await serve(settings.endpoint, knex, log)

  let stopping = false
  const stop = async (why: string, runtimeGone = false) => {
    if (stopping) return
    stopping = true
    log.info({ why }, 'worker stopping')
    // Nobody may be left to SIGKILL a stuck worker (the runtime died): exit on our own.
    setTimeout(() => process.exit(1), 15_000).unref()
    await loop.stop(runtimeGone)
    await knex.destroy()
    process.exit(0)
  }
  // The runtime decides when the worker stops (it asks over IPC, after the node has left the
  // network): signals meant for the whole process group (Ctrl-C, `timeout`, a cgroup kill) must
  // not take the database away from a runtime that is still announcing its leave.
  process.on('SIGTERM', () => {})
  process.on('SIGINT', () => {})
  process.on('message', (message: { type?: string }) => {
    if (message?.type === 'stop') void stop('asked by the runtime')
  })
  // The runtime is gone (even by kill -9): commit the batch in hand and leave at once, before a
  // restarted runtime starts its own worker on this database.
  process.on('disconnect', () => void stop('runtime gone', true))
  // Gone while the database opened (before the listener): nobody to serve, and a send to it
  // would throw ERR_IPC_CHANNEL_CLOSED.
  if (!process.connected) return void stop('runtime gone before the worker was ready', true)
  process.send?.({ type: 'ready', id: identity.id, name: identity.name, pid: process.pid })
}

// The runtime's first message holds the settings it parsed (db/settings.ts); until it comes, the
// worker waits (Node keeps a message for the first listener).
process.once('message', function start({ settings }: StartMessage) {
  const log = createLogger(settings.logLevel, { node: settings.name, process: 'worker' })
  main(settings, log).catch((err) => {
    log.fatal({ err }, 'database worker failed to start')
    if (process.connected) process.send?.({ type: 'fatal', message: String(err?.message ?? err) })
    process.exit(1)
  })
})
