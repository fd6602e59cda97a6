// A member named by a person: its node id, or its warehouse name in any case when only one
// member has that name. Transfers (to, from) and force-leave resolve names the same way.

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
  const member =
    members.find((m) => m.id === given) ?? (byName.length === 1 ? byName[0] : undefined)
  return { member, sameName: byName.length }
}
