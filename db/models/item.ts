import { Model } from 'objection'

export class Item extends Model {
  static tableName = 'items'
  static idColumn = 'sku'

  declare sku: string
  declare name: string
  declare unit: string
  declare description: string
  declare reorderPoint: number | null
  declare createdAt: string
  declare updatedAt: string
}
