// knex's own sqlite3 dialect, which db/knex-config.ts extends: knex ships no types for it.
declare module 'knex/lib/dialects/sqlite3/index.js' {
  const Client_SQLite3: unknown
  export default Client_SQLite3
}
