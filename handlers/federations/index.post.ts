import { federationInput } from '../../api/index.ts'
import { defineHandler, HttpError } from '../../runtime/index.ts'

/**
 * Carries every message on the topics a pattern matches (published here, or this node's events
 * on system topics) to the peers named, or to every member: store-and-forward through the
 * outbox, in order, applied once by each peer, published there on the same topic. From the next
 * message on; setting a pattern again replaces its peers, and says which it had.
 */
export default defineHandler(
  {
    access: 'admin',
    summary: 'Carries the topics a pattern matches to peer warehouses',
    body: federationInput,
    example: { body: { pattern: 'stock.>', peers: ['Sevilla'] } },
  },
  async (_request, ctx, { body: { pattern, peers } }) => {
    const known = new Set(ctx.membership.snapshot().members.map((m) => m.name))
    const unknown = (peers ?? []).filter((name) => !known.has(name))
    // This warehouse's messages are its own already: naming it would carry nothing, unsaid.
    const problem =
      unknown.length > 0
        ? `no member of this network is named ${unknown.join(', ')}`
        : peers?.includes(ctx.node.name)
          ? `${ctx.node.name} is this warehouse: name the others to carry to`
          : null
    if (problem !== null) {
      throw new HttpError('VALIDATION_FAILED', `Invalid federation: peers: ${problem}`, {
        details: [{ path: 'peers', message: problem }],
      })
    }
    // Setting a pattern again replaces its peers: the answer names those it had, since a peer
    // taken off gets nothing published meanwhile, even if it is put back later.
    const { federations } = await ctx.db.send('federations.list', {})
    const before = federations.find((f) => f.pattern === pattern)
    const set = await ctx.db.send('federations.set', { pattern, peers: peers ?? null })
    const same = (a: string[] | null, b: string[] | null) =>
      a === null || b === null ? a === b : [...a].sort().join('\n') === [...b].sort().join('\n')
    if (!before || same(before.peers, set.peers)) return set
    ctx.log.info({ pattern, before: before.peers, now: set.peers }, 'federation peers replaced')
    return { ...set, replaced: { peers: before.peers } }
  }
)
