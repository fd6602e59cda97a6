// Read by the knex CLI (`npx knex migrate:latest` …). The configuration and the migrations are
// TypeScript, so register tsx first; the database is the node's, under ALMACEN_DATA_DIR (./data).
//
// The CLI claims the data directory as a node does: it refuses to touch the database of a running
// node (a rollback under a running node once dropped its whole schema), and no node starts on
// the directory until the command has ended.
import { existsSync, readdirSync } from 'node:fs'
import { register } from 'tsx/esm/api'

register()
const { knexConfig, databaseFile, MIGRATIONS_DIR } = await import('./db/knex-config.ts')

// `migrate:make NAME` names the file after the clock (knex's `new Date()`), and migrations run in
// the order of their names. This repository's are dated ahead of some clocks (to 2027-01-12): a
// migration named after an earlier clock would sort before them, and on a new node run before
// the tables it changes exist. For that command alone, a clock behind the newest migration is
// read as one second after it, so a new migration always comes last.
if (process.argv.includes('migrate:make')) {
  const newest = readdirSync(MIGRATIONS_DIR)
    .map((name) => /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)_/.exec(name))
    .filter((match) => match !== null)
    .map(([, y, mo, d, h, mi, s]) => Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s}Z`))
    .reduce((a, b) => Math.max(a, b), 0)
  if (Date.now() <= newest) {
    const Clock = Date
    globalThis.Date = class extends Clock {
      constructor(...given) {
        if (given.length === 0) super(newest + 1000)
        else super(...given)
      }
    }
  }
}
const { DataDirInUse, lockDataDir, releaseDataDirSync } = await import('./runtime/data-dir-lock.ts')
const { privateDataDir } = await import('./runtime/data-dir.ts')
// The node's own setting (runtime/settings.ts): its variable and its default, read as the node does.
const { SETTINGS } = await import('./runtime/settings.ts')
const dataDir = process.env[SETTINGS.dataDir.env] || SETTINGS.dataDir.default

// A question about the migrations where there is no database yet is answered without making one:
// SQLite would create the file (and knex its tables) to say that nothing is applied.
const QUESTIONS = ['migrate:status', 'migrate:list', 'migrate:currentVersion']
if (QUESTIONS.some((command) => process.argv.includes(command))) {
  const file = databaseFile(dataDir)
  if (!existsSync(file)) {
    const pending = readdirSync(MIGRATIONS_DIR).filter((name) => name.endsWith('.ts'))
    process.stdout.write(
      `No database at ${file} yet (nothing was made): all ${pending.length} migrations are ` +
        'pending. npm start, or npx knex migrate:latest, makes it and applies them.\n'
    )
    process.exit(0)
  }
}

// As the node does: 0700, and 0600 for the database should this command create it.
for (const { path, was } of await privateDataDir(dataDir)) {
  process.stderr.write(`knex: made ${path} private (it was ${was})\n`)
}
try {
  await lockDataDir(dataDir)
} catch (err) {
  if (!(err instanceof DataDirInUse)) throw err
  process.stderr.write(
    `knex: ${err.dataDir} is in use by process ${err.pid}, a running almacen node. ` +
      'Stop that node first (Ctrl-C, or systemctl stop almacen), then run this again. ' +
      'Nothing was changed.\n'
  )
  process.exit(1)
}
// The knex CLI ends with process.exit, after success and after an error alike.
process.on('exit', () => releaseDataDirSync(dataDir))
// A signal ends a process without 'exit': release, then die of the same signal.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(signal, () => {
    releaseDataDirSync(dataDir)
    process.kill(process.pid, signal)
  })
}

// knex warns of a failed migration ("migration failed with error: …"), then the CLI prints the
// error as it exits: a refused rollback was said twice. Its warning is left to the CLI; every
// other warning is printed as knex prints it (on stdout; without its colour).
const { REFUSAL } = await import('./db/migration-guard.ts')
const config = knexConfig(databaseFile(dataDir))
export default {
  ...config,
  log: {
    warn(message) {
      if (!String(message).startsWith(`migration failed with error: ${REFUSAL}`)) {
        console.log(message)
      }
    },
  },
}
