import type { ForcedLeave } from '../../../api/index.ts'
import { defineHandler, HttpError } from '../../../runtime/index.ts'
import { memberNamed } from '../../_shared/members.ts'

/**
 * Removes a dead member for good (serf's force-leave): a member this node sees as failed is
 * marked left, and every live member is told. Should the node come back after all, it rejoins
 * by itself. The member is named by its id or its warehouse name (in any case).
 */
export default defineHandler(
  {
    access: 'admin',
    summary: 'Marks a failed member as left, on every member',
    keyless: 'a member marked left stays left; sent again, GET /members shows whether it is',
  },
  async (request, ctx): Promise<ForcedLeave> => {
    if (!ctx.membership.opened) throw new HttpError('NOT_READY', 'This node is still starting')
    const named = request.params.id
    const { member, sameName } = memberNamed(ctx.membership.snapshot().members, named)
    if (!member && sameName > 1) {
      throw new HttpError('CONFLICT', `${sameName} members are named ${named}: give its id`)
    }
    if (!member) throw new HttpError('NOT_FOUND', `No member ${named} is known to this node`)
    const outcome = await ctx.membership.forceLeave(member.id)
    if (!outcome.ok) throw new HttpError('CONFLICT', outcome.text)
    const { id, name, state, incarnation } = outcome.member
    return {
      member: { id, name, state, incarnation },
      acknowledgedBy: outcome.acked,
      missed: outcome.missed,
    }
  }
)
