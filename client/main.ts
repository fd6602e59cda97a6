// `almacen` / `npm run client`: the command line (cli.ts) on this process's streams.
import { runCli } from './cli.ts'
import { ctrlC } from './ctrl-c.ts'
import { EXIT } from './errors.ts'
import { runInteractive } from './interactive.ts'

// `almacen … | head`: once the reader has gone, nothing more can be said to it. End quietly, as
// a pipe's writer should, instead of dying on an unhandled EPIPE with a stack trace. Exit 0:
// the reader took what it wanted, and `set -o pipefail` scripts should not fail for it.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err
    process.exit(EXIT.ok)
  })
}

const { stdin, stdout, stderr } = process
process.exitCode = await runCli(process.argv.slice(2), process.env, {
  stdin,
  stdout,
  stderr,
  ctrlC,
  // Exit explicitly: prompts leaves stdin open, which would keep the process waiting.
  menus: async ({ url, timeoutMs, token, ca }) =>
    process.exit(await runInteractive({ url, timeoutMs, token, ca })),
})
