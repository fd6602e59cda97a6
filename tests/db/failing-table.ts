// Operation tables for tests whose items.create of one SKU goes wrong inside the batch's
// transaction, as a disk that goes away half-way would: the item is created, then `after` runs on
// the same transaction (throws, ends the transaction, writes what fails at COMMIT…).
import type { Knex } from 'knex'
import type { Payload } from '../../db/contract/index.ts'
import { operations, type OperationTable } from '../../db/operations/index.ts'

export function afterCreate(sku: string, after: (trx: Knex) => Promise<unknown>): OperationTable {
  return {
    ...operations,
    'items.create': async (trx: Knex, payload: Payload<'items.create'>) => {
      const created = await operations['items.create'](trx, payload)
      if (payload.sku === sku) await after(trx)
      return created
    },
  } as OperationTable
}

/** items.create of `sku` fails after writing everything: its item, its balance and its event. */
export function failingCreate(sku: string): OperationTable {
  return afterCreate(sku, async () => {
    throw new Error('the disk went away')
  })
}
