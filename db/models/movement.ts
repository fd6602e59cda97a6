import { Model } from 'objection'
import type { MovementType } from '../contract.ts'

export class Movement extends Model {
  static tableName = 'movements'
  static idColumn = 'seq'

  declare seq: number
  declare type: MovementType
  declare sku: string
  declare quantity: number
  declare delta: number
  declare countedQuantity: number | null
  declare balanceAfter: number
  declare reference: string
  declare note: string
  declare createdAt: string
  declare prevHash: string
  declare hash: string
}
