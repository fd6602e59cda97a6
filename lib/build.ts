// Where the built node is, and whether it is current: the demo and the tests start the build that
// `npm start` runs when it matches the sources, and the TypeScript under tsx when it does not.
import { existsSync, readdirSync, statSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const above = new URL('../', import.meta.url) // the root from lib/, or dist/ from dist/lib/
/** The package's root, whether this runs from lib/ or built, from dist/lib/. */
export const PACKAGE_ROOT: URL = existsSync(new URL('package.json', above))
  ? above
  : new URL('../', above)

/** The node as `npm start` runs it, and as its sources are. */
export const BUILT_NODE = fileURLToPath(new URL('dist/runtime/main.js', PACKAGE_ROOT))
export const NODE_SOURCE = fileURLToPath(new URL('runtime/main.ts', PACKAGE_ROOT))

/** The folders the built node is compiled from. */
const NODE_SOURCES = ['api', 'db', 'handlers', 'lib', 'migrations', 'network', 'runtime']

function newestIn(dir: URL): number {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const file = new URL(entry.name + (entry.isDirectory() ? '/' : ''), dir)
    newest = Math.max(newest, entry.isDirectory() ? newestIn(file) : statSync(file).mtimeMs)
  }
  return newest
}

/** Whether dist/ holds the node as its sources are now (false when it was never built). */
export function buildIsCurrent(): boolean {
  if (!existsSync(BUILT_NODE)) return false
  const sources = NODE_SOURCES.map((dir) => newestIn(new URL(`${dir}/`, PACKAGE_ROOT)))
  return statSync(BUILT_NODE).mtimeMs >= Math.max(...sources)
}

/** The node's command line: `node dist/runtime/main.js …` if current, else through tsx. */
export function nodeArgs(args: string[], built = buildIsCurrent()): string[] {
  return built ? [BUILT_NODE, ...args] : ['--import', 'tsx', NODE_SOURCE, ...args]
}
