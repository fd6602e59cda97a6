import { defineHandler, HttpError } from '../../runtime/index.ts'

/**
 * The peer list, with what this node has heard from each member live. It is read from the
 * membership's copy, which holds only what is committed to SQLite (a change is written before
 * it is applied), so polling it costs the database nothing.
 */
export default defineHandler(
  { access: 'viewer', summary: 'The peer list, with what this node hears from each member' },
  async (_request, ctx) => {
    if (!ctx.membership.opened) throw new HttpError('NOT_READY', 'This node is still starting')
    const { members, participating } = ctx.membership.snapshot()
    const self = ctx.node.id
    return {
      self,
      participating,
      clusterKey: ctx.membership.canTalk,
      members: members.map((member) => ({
        ...member,
        self: member.id === self,
        ...ctx.membership.live(member.id),
      })),
    }
  }
)
