import { Model } from 'objection'
import type { MemberState } from '../contract/index.ts'

export class Member extends Model {
  static tableName = 'members'
  static idColumn = 'id'

  declare id: string
  declare name: string
  declare address: string
  declare state: MemberState
  declare incarnation: number
  declare stateChangedAt: string
  declare evidenceAt: string | null
}
