// `almacen` / `npm run client`: the command line (cli.ts) on this process's streams.
import { runCli } from './cli.ts'
import { ctrlC } from './ctrl-c.ts'
import { runInteractive } from './interactive.ts'

// `almacen … | head`: once the reader has gone, nothing more can be said to it. Go on quietly, as
// a pipe's writer should, instead of dying on an unhandled EPIPE with a stack trace, and exit with
// what the command did: 0 when it did it (the reader took what it wanted, and `set -o pipefail`
// scripts should not fail for it), its refusal's status when it did not — a failed issue whose
// words went to a closed pipe is still a failed issue. Every one-shot command ends by itself.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE' && err.code !== 'ERR_STREAM_DESTROYED') throw err
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
