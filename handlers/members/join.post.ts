import { defineHandler, HttpError, memberAddress, readJson, z } from '../../runtime/index.ts'

const body = z.strictObject({
  addresses: z
    .array(
      z
        .string()
        .transform((address) => address.replace(/\/+$/, ''))
        .pipe(memberAddress)
    )
    .min(1, { error: 'must name at least one node to join through' })
    .max(50),
})

/**
 * Joins the peer network through any of these nodes (undoing an earlier leave). Only the signed
 * protocol is spoken to them, and an address that does not answer as a member of this network
 * gets the same answer, after the same time, whatever is there: this route tells nothing about
 * other hosts.
 */
export default defineHandler(async (request, ctx) => {
  const { addresses } = await readJson(request, body)
  if (!ctx.membership.canTalk) {
    throw new HttpError(
      409,
      'NO_CLUSTER_KEY',
      'This node has no cluster key: set ALMACEN_CLUSTER_KEY (the same on every node) and restart it to join a network'
    )
  }
  const outcomes = await ctx.membership.join(addresses)
  if (!outcomes.some((o) => o.ok)) {
    const reasons = outcomes.map((o) => `${o.address}: ${o.reason}`).join('; ')
    throw new HttpError(
      502,
      'PEER_UNREACHABLE',
      `Could not join through any of them (${reasons})`,
      outcomes
    )
  }
  return { joined: true, outcomes, members: ctx.membership.list().members }
})
