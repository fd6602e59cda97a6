import { Model } from 'objection'

export class NodeSetting extends Model {
  static tableName = 'node_settings'
  static idColumn = 'key'

  declare key: string
  declare value: string
}
