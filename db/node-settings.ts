// The node's own settings (node_settings: its id, its name, a restore asked, a backup's stamp…),
// read and written on a batch's connection by the worker's hand-written SQL (db/sql.ts).
import type { Sql } from './sql.ts'

/** A setting's value, or null when it is not set. */
export async function setting(sql: Sql, key: string): Promise<string | null> {
  const [row] = await sql.all<{ value: string }>('SELECT value FROM node_settings WHERE key = ?', [
    key,
  ])
  return row?.value ?? null
}

/** Sets a setting, made or replaced. */
export async function setSetting(sql: Sql, key: string, value: string): Promise<void> {
  await sql.run(
    `INSERT INTO node_settings (key, value) VALUES (?, ?)
     ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
    [key, value]
  )
}
