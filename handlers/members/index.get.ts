import { defineHandler } from '../../runtime/index.ts'

/** The peer list as committed in SQLite, with what this node has heard from each member live. */
export default defineHandler(async (_request, ctx) => {
  const { members, rejoin } = await ctx.db.send('members.list', {})
  const self = ctx.node.id
  return {
    self,
    participating: rejoin,
    clusterKey: ctx.membership.canTalk,
    members: members.map((member) => ({
      ...member,
      self: member.id === self,
      ...ctx.membership.live(member.id),
    })),
  }
})
