import { Model } from 'objection'

export class Balance extends Model {
  static tableName = 'balances'
  static idColumn = 'sku'

  declare sku: string
  declare onHand: number
  declare lastSeq: number | null
  declare updatedAt: string
}
