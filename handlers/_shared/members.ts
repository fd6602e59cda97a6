// A member named by a person: its node id, or its warehouse name in any case when only one
// member has that name. Transfers (to, from) and force-leave resolve names the same way. And the
// other way: a ledger row a peer's message made (actor `peer:<node id>`) named by its warehouse.
import { nodeIdOrName, type MovementPage } from '../../api/index.ts'
import { validate, type Ctx } from '../../runtime/index.ts'

export interface Named {
  id: string
  name: string
}

/** The member `given` names among `members`; `sameName` counts the members with that name. */
export function memberNamed<M extends Named>(
  members: readonly M[],
  given: string
): { member?: M; sameName: number } {
  const wanted = given.toLowerCase()
  const byName = members.filter((m) => m.name.toLowerCase() === wanted)
  // Node ids are lower-case UUIDs: one typed in capitals is the same node.
  const member =
    members.find((m) => m.id.toLowerCase() === wanted) ??
    (byName.length === 1 ? byName[0] : undefined)
  return { member, sameName: byName.length }
}

/**
 * A page of ledger rows with `actorName` beside each actor `peer:<node id>` whose member this node
 * knows: its warehouse name, for people to read (the actor itself, covered by the row's hash,
 * stays as it is).
 */
export function withActorNames(ctx: Ctx, page: MovementPage): MovementPage {
  if (!page.movements.some((m) => m.actor?.startsWith('peer:'))) return page
  const names = memberNames(ctx)
  const movements = page.movements.map((m) => {
    const name = m.actor?.startsWith('peer:') ? names.get(m.actor.slice(5)) : undefined
    return name ? { ...m, actorName: name } : m
  })
  return { ...page, movements }
}

/** Each member's warehouse name by its node id, as membership knows them now (none yet while starting). */
export function memberNames(ctx: Ctx): Map<string, string> {
  return ctx.membership.opened
    ? new Map(ctx.membership.snapshot().members.map((m) => [m.id, m.name]))
    : new Map()
}

/**
 * The node a replica path names (/replicas/:nodeId…): its id, or a member's warehouse name in any
 * case (GET /replicas/Sevilla). Checked as a node id or a name; unknown, it stays as given (the
 * worker says whether a replica of it is held).
 */
export function replicaNode(ctx: Ctx, given: string): string {
  const checked = validate(nodeIdOrName, given, 'node id or name in the path')
  const members = ctx.membership.opened ? ctx.membership.snapshot().members : []
  return memberNamed(members, checked).member?.id ?? checked
}
