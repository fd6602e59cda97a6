import { Model } from 'objection'

export class IdempotencyKey extends Model {
  static tableName = 'idempotency_keys'
  static idColumn = 'key'

  declare key: string
  declare op: string
  declare fingerprint: string
  declare ok: boolean
  declare result: string
  declare createdAt: string
}
