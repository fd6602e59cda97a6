import { joinInput } from '../../api/index.ts'
import { defineHandler, HttpError } from '../../runtime/index.ts'

/**
 * Joins the peer network through any of these nodes (undoing an earlier leave). Only the signed
 * protocol is spoken to them, and an address that does not answer as a member of this network
 * gets the same answer, after the same time, whatever is there: this route tells nothing about
 * other hosts.
 */
export default defineHandler(
  {
    access: 'admin',
    summary: 'Joins the peer network through any of these nodes',
    keyless: 'the same change however often it is asked',
    body: joinInput,
    example: { body: { addresses: ['http://10.0.4.12:8080'] } },
  },
  async (_request, ctx, { body: { addresses } }) => {
    if (!ctx.membership.canTalk) {
      throw new HttpError(
        'NO_CLUSTER_KEY',
        'This node has no cluster key: set ALMACEN_CLUSTER_KEY (the same on every node) and restart it to join a network'
      )
    }
    const outcomes = await ctx.membership.join(addresses)
    if (!outcomes.some((o) => o.ok)) {
      const reasons = outcomes.map((o) => `${o.address}: ${o.reason}`).join('; ')
      throw new HttpError('PEER_UNREACHABLE', `Could not join through any of them (${reasons})`, {
        details: outcomes,
      })
    }
    return { joined: true, outcomes, members: ctx.membership.list().members }
  }
)
