import { defineHandler, HttpError, readJson, z } from '../../runtime/index.ts'

const body = z.strictObject({
  addresses: z
    .array(
      z.url({ protocol: /^https?$/, error: 'must be an http(s) URL such as http://10.0.0.2:8080' })
    )
    .min(1, { error: 'must name at least one node to join through' })
    .max(50),
})

/** Joins the peer network through any of these nodes (undoing an earlier leave). */
export default defineHandler(async (request, ctx) => {
  const { addresses } = await readJson(request, body)
  if (!ctx.membership.canTalk) {
    throw new HttpError(
      409,
      'NO_CLUSTER_KEY',
      'This node has no cluster key: set ALMACEN_CLUSTER_KEY (the same on every node) and restart it to join a network'
    )
  }
  const outcomes = await ctx.membership.join(addresses.map((a) => a.replace(/\/+$/, '')))
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
