#!/usr/bin/env node
// The `almacen` command (package.json "bin"; `npm link` puts it on PATH). It runs the client that
// `npm run build` compiles with the node (dist/client), which starts in a fraction of the time
// that compiling the TypeScript at each run takes. From a source checkout whose build is missing,
// or older than client/, it falls back to compiling with tsx, as knexfile.js does, and says how to
// make it quick again.
import { existsSync, readdirSync, statSync } from 'node:fs'

const built = new URL('../dist/client/main.js', import.meta.url)

/** The newest modification time among the client's sources (client/ and its folders). */
function newestSource(dir) {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const file = new URL(entry.name + (entry.isDirectory() ? '/' : ''), dir)
    const mtime = entry.isDirectory() ? newestSource(file) : statSync(file).mtimeMs
    newest = Math.max(newest, mtime)
  }
  return newest
}

const stale = !existsSync(built)
  ? 'the client is not built'
  : statSync(built).mtimeMs < newestSource(new URL('./', import.meta.url))
    ? 'client/ changed since the last build'
    : undefined

if (!stale) {
  await import(built.href)
} else {
  // Only at a terminal: a script's stderr carries one line per failure (and JSON with --json).
  if (process.stderr.isTTY) {
    process.stderr.write(
      `almacen: ${stale}, so it starts slowly; 'npm run build' makes it quick.\n`
    )
  }
  const { register } = await import('tsx/esm/api')
  register()
  await import('./main.ts')
}
