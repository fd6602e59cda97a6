import { randomUUID } from 'node:crypto'
import { hostname } from 'node:os'
import type { Knex } from 'knex'
import type * as C from '../contract/index.ts'
import { DomainError } from '../domain-error.ts'
import { DATA_TABLES } from '../migration-guard.ts'
import { NodeSetting } from '../models/node-setting.ts'

export interface Identity {
  id: string
  name: string
}

/**
 * The node's id is made on first start and kept. Its name is the one given, kept for the starts
 * that give none: a restart without --name is the same warehouse to its peers, not one renamed
 * after the machine. A first start without one takes the host name.
 */
export async function ensureIdentity(knex: Knex, given?: string): Promise<Identity> {
  return knex.transaction(async (trx) => {
    let id = (await NodeSetting.query(trx).findById('id'))?.value
    if (!id) {
      id = randomUUID()
      await NodeSetting.query(trx).insert({ key: 'id', value: id })
    }
    const stored = (await NodeSetting.query(trx).findById('name'))?.value
    const name = given ?? stored ?? hostname()
    if (name !== stored) {
      await trx('node_settings').insert({ key: 'name', value: name }).onConflict('key').merge()
    }
    return { id, name }
  })
}

export async function warehouseName(trx: Knex): Promise<string> {
  return (await NodeSetting.query(trx).findById('name'))?.value ?? 'this warehouse'
}

export async function info(trx: Knex): Promise<C.NodeInfo> {
  const settings = await NodeSetting.query(trx)
  const setting = (key: string) => settings.find((s) => s.key === key)?.value ?? ''
  const items = await trx('items').count({ n: '*' }).first()
  const head = await trx('movements').max({ seq: 'seq' }).first()
  const [{ file }] = await trx.raw(`SELECT file FROM pragma_database_list WHERE name = 'main'`)
  const [{ version }] = await trx.raw('SELECT sqlite_version() AS version')
  const [{ journalMode }] = await trx.raw('PRAGMA journal_mode')
  const [{ synchronous }] = await trx.raw('PRAGMA synchronous')
  return {
    id: setting('id'),
    name: setting('name'),
    counts: { items: Number(items?.n ?? 0), movements: Number(head?.seq ?? 0) },
    database: {
      file,
      sqliteVersion: version,
      journalMode,
      synchronous: ['off', 'normal', 'full', 'extra'][synchronous] ?? String(synchronous),
    },
  }
}

/**
 * The worker answers, and the tables that hold the warehouse's data are there: a database whose
 * schema went under a running node (a rollback, a stray DROP) fails every data request, and
 * /health must say so rather than ok.
 */
export async function ping(trx: Knex): Promise<{ pong: true }> {
  const wanted = Object.keys(DATA_TABLES)
  const present = new Set<string>(
    await trx('sqlite_master').where({ type: 'table' }).whereIn('name', wanted).pluck('name')
  )
  const missing = wanted.filter((table) => !present.has(table))
  if (missing.length > 0) {
    throw new DomainError(
      'SCHEMA_MISSING',
      `The database has lost its tables ${missing.join(', ')}: stop the node and restore the ` +
        'database from a backup (started on it as it is, the node would make empty tables and a ' +
        'new identity)'
    )
  }
  return { pong: true }
}
