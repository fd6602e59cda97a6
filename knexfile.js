// Read by the knex CLI (`npx knex migrate:latest` …). The configuration and the migrations are
// TypeScript, so register tsx first; the database is the node's, under ALMACEN_DATA_DIR (./data).
import { mkdirSync } from 'node:fs'
import { register } from 'tsx/esm/api'

register()
const { knexConfig, databaseFile } = await import('./db/knex-config.ts')
const dataDir = process.env.ALMACEN_DATA_DIR || './data'
mkdirSync(dataDir, { recursive: true })

export default knexConfig(databaseFile(dataDir))
