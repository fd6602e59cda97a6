// An operation table for tests whose items.create fails after writing everything, as a disk
// that goes away half-way would: its item, its balance and its event are in, then it throws.
import type { Knex } from 'knex'
import type { Payload } from '../../db/contract/index.ts'
import { operations, type OperationTable } from '../../db/operations/index.ts'

export function failingCreate(sku: string): OperationTable {
  return {
    ...operations,
    'items.create': async (trx: Knex, payload: Payload<'items.create'>) => {
      const created = await operations['items.create'](trx, payload)
      if (payload.sku === sku) throw new Error('the disk went away')
      return created
    },
  } as OperationTable
}
