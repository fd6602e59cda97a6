// The command line, apart from the process it runs in: read the arguments, then print the help,
// run one command, or open the menus. client/main.ts gives it the process's own streams; tests
// give it recording ones and run it in their process.
import { readFileSync } from 'node:fs'
import { CommandUsageError, parseCli, type Cli, type Settings } from './args.ts'
import { EXIT, UsageError } from './errors.ts'
import { describe, runOneShot, type Streams } from './one-shot.ts'

// From dist/client/cli.js (built) the package root is two folders up, from client/cli.ts one.
const root = import.meta.url.endsWith('.js') ? '../../' : '../'
const { version } = JSON.parse(
  readFileSync(new URL(`${root}package.json`, import.meta.url), 'utf8')
)

export interface CliOptions extends Omit<Streams, 'interrupts'> {
  /** Takes over Ctrl-C for a command (ctrl-c.ts); without it, Ctrl-C ends the process at once. */
  ctrlC?(): Streams['interrupts']
  /** Opens the menus at a terminal; resolves with the exit status. Without it there are none. */
  menus?(settings: Settings): Promise<number>
}

/** Runs `almacen ARGV` and resolves with its exit status (see EXIT in errors.ts). */
export async function runCli(
  argv: string[],
  env: NodeJS.ProcessEnv,
  options: CliOptions
): Promise<number> {
  const { stdin, stdout, stderr } = options
  let cli: Cli
  try {
    cli = parseCli(argv, env, version)
  } catch (err) {
    if (!(err instanceof UsageError)) throw err
    stderr.write(describe(err, err instanceof CommandUsageError ? err.command : undefined))
    return EXIT.usage
  }
  if (cli.mode === 'print') {
    stdout.write(cli.text)
    return EXIT.ok
  }
  if (cli.mode === 'one-shot') {
    const streams = { stdin, stdout, stderr, interrupts: options.ctrlC?.() }
    return runOneShot(cli.command, cli.args, cli.settings, streams)
  }
  if (!stdin.isTTY || !options.menus) {
    stderr.write(
      "almacen: the menus need a terminal; give a command instead. See 'almacen --help'.\n"
    )
    return EXIT.usage
  }
  return options.menus(cli.settings)
}
