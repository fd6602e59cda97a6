// `almacen` / `npm run client`: read the command line, then open the menus or run one command.
import { readFileSync } from 'node:fs'
import { CommandUsageError, parseCli, type Cli } from './args.ts'
import { ctrlC } from './ctrl-c.ts'
import { EXIT, UsageError } from './errors.ts'
import { runInteractive } from './interactive.ts'
import { describe, runOneShot } from './one-shot.ts'

// From dist/client/main.js (built) the package root is two folders up, from client/main.ts one.
const root = import.meta.url.endsWith('.js') ? '../../' : '../'
const { version } = JSON.parse(
  readFileSync(new URL(`${root}package.json`, import.meta.url), 'utf8')
)

// `almacen … | head`: once the reader has gone, nothing more can be said to it. End quietly, as
// a pipe's writer should, instead of dying on an unhandled EPIPE with a stack trace. Exit 0:
// the reader took what it wanted, and `set -o pipefail` scripts should not fail for it.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err
    process.exit(EXIT.ok)
  })
}

let cli: Cli
try {
  cli = parseCli(process.argv.slice(2), process.env, version)
} catch (err) {
  if (!(err instanceof UsageError)) throw err
  process.stderr.write(describe(err, err instanceof CommandUsageError ? err.command : undefined))
  process.exit(EXIT.usage)
}

if (cli.mode === 'print') {
  process.stdout.write(cli.text)
} else if (cli.mode === 'one-shot') {
  const { stdin, stdout, stderr } = process
  const streams = { stdin, stdout, stderr, interrupts: ctrlC() }
  process.exitCode = await runOneShot(cli.command, cli.args, cli.settings, streams)
} else if (!process.stdin.isTTY) {
  process.stderr.write(
    "almacen: the menus need a terminal; give a command instead. See 'almacen --help'.\n"
  )
  process.exitCode = EXIT.usage
} else {
  // Exit explicitly: prompts leaves stdin open, which would keep the process waiting.
  process.exit(await runInteractive({ url: cli.settings.url, timeoutMs: cli.settings.timeoutMs }))
}
