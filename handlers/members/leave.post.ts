import { defineHandler } from '../../runtime/index.ts'

/**
 * Takes this warehouse out of the peer network: every member is told and acknowledges, and sees
 * it as left. The node keeps serving its own stock, and stays out (even after a restart) until
 * POST /members/join.
 */
export default defineHandler(
  {
    access: 'admin',
    summary: 'Takes this warehouse out of the peer network',
    keyless: 'sent again, it answers alreadyLeft: true',
  },
  async (_request, ctx) => {
    const { acked, missed, alreadyLeft } = await ctx.membership.leave({ rejoin: false })
    return { left: true, alreadyLeft: alreadyLeft === true, acknowledgedBy: acked, missed }
  }
)
