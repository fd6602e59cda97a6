import type { Knex } from 'knex'
import type * as C from '../contract/index.ts'
import { appendEvents } from '../events/log.ts'
import { Member } from '../models/member.ts'
import { NodeSetting } from '../models/node-setting.ts'

const REJOIN = 'membership.rejoin'

/** A row as stored: the columns of a member, whatever else the object carries. */
function toMember(row: C.Payload<'members.apply'>['members'][number]): C.Member {
  const { id, name, address, state, incarnation, stateChangedAt, evidenceAt } = row
  return { id, name, address, state, incarnation, stateChangedAt, evidenceAt: evidenceAt ?? null }
}

export async function list(trx: Knex) {
  const members = await Member.query(trx).orderBy('name').orderBy('id')
  const rejoin = (await NodeSetting.query(trx).findById(REJOIN))?.value !== 'false'
  return { members: members.map(toMember), rejoin }
}

/**
 * The protocol has already decided these rows; the worker only makes them durable, each with a
 * `member.changed` event.
 */
export async function apply(trx: Knex, { members, rejoin }: C.Payload<'members.apply'>) {
  const rows = members.map(toMember)
  for (const row of rows) await trx('members').insert(row).onConflict('id').merge()
  const at = new Date().toISOString()
  await appendEvents(
    trx,
    rows.map((row) => ({
      type: 'member.changed' as const,
      subject: row.id,
      data: row,
      createdAt: at,
    }))
  )
  if (rejoin !== undefined) {
    await trx('node_settings')
      .insert({ key: REJOIN, value: String(rejoin) })
      .onConflict('key')
      .merge()
  }
  return { applied: members.length }
}

export async function reap(trx: Knex, { ids }: { ids: string[] }) {
  const reaped = ids.length ? await trx('members').whereIn('id', ids).delete() : 0
  return { reaped: Number(reaped) }
}
