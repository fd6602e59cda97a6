// Bundles the database worker (db/worker.ts and what it imports, knex and objection included)
// into the one file the runtime forks, dist/db/worker.js, over what tsc wrote there. A worker
// started from it reads one file where it read about 750 (lodash 256, objection 179, knex 79,
// ajv 64…): its start takes about a third less CPU, and a node starts it at every start and
// after every crash. Native modules, and the database drivers knex can load but a node never
// does, stay outside; the migrations are still read from dist/migrations at run time.
import { build } from 'esbuild'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..')

await build({
  entryPoints: [path.join(root, 'db', 'worker.ts')],
  // In dist/db/ as the runtime expects it (runtime/worker-supervisor.ts), so that the paths it
  // finds from its own URL (db/knex-config.ts: ../migrations) are the built node's.
  outfile: path.join(root, 'dist', 'db', 'worker.js'),
  allowOverwrite: true,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  external: [
    'sqlite3',
    'zeromq',
    // knex's other dialects, never loaded by a node (SQLite only).
    'pg',
    'pg-query-stream',
    'pg-native',
    'mysql',
    'mysql2',
    'oracledb',
    'tedious',
    'better-sqlite3',
    'mariadb',
    'mariadb/callback',
  ],
  // The CommonJS that is bundled (knex, objection…) calls require() for Node's own modules.
  banner: {
    js: "import { createRequire as __almacenRequire } from 'node:module'; const require = __almacenRequire(import.meta.url);",
  },
  logLevel: 'warning',
})
