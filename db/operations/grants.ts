// Who may use a queue or a topic (db/contract/grants.ts), and the check the messaging operations
// make with the user their envelope names.
import type { Knex } from 'knex'
import { actorOf } from '../actor.ts'
import type * as C from '../contract/index.ts'
import { DomainError } from '../domain-error.ts'
import { withSql } from '../sql.ts'
import { userNamed } from './access.ts'

type Kind = C.Grant['kind']
type Action = 'publish' | 'consume' | 'manage'

export interface GrantRow {
  kind: Kind
  name: string
  userName: string
  publish: number | boolean
  consume: number | boolean
  manage: number | boolean
}

const grantOf = (row: GrantRow): C.Grant => ({
  kind: row.kind,
  name: row.name,
  user: row.userName,
  publish: !!row.publish,
  consume: !!row.consume,
  manage: !!row.manage,
})

export async function list(trx: Knex, filter: C.Payload<'grants.list'>) {
  const rows = (await trx('messagingGrants')
    .where((q) => {
      if (filter.kind) q.where({ kind: filter.kind })
      if (filter.name) q.where({ name: filter.name })
    })
    .orderBy(['kind', 'name', 'userName'])) as GrantRow[]
  return { grants: rows.map(grantOf) }
}

export async function set(trx: Knex, grant: C.Payload<'grants.set'>): Promise<C.Grant> {
  const { kind, name, user, publish, consume, manage } = grant
  const table = kind === 'queue' ? 'queues' : 'topics'
  if (!(await trx(table).where({ name }).first())) {
    throw new DomainError('NOT_FOUND', `No ${kind} named ${name}`, [
      { path: 'name', message: `no ${kind} named ${name}` },
    ])
  }
  const holder = await userNamed(trx, user, 'user')
  // Once a queue or topic has a grant, only those granted (and admins) use it: one to a user who
  // cannot (a viewer publishes and consumes nothing; a disabled user signs in to nothing) would
  // keep every operator out and give nobody its use.
  const cannot = holder.disabledAt
    ? 'is disabled'
    : holder.role === 'viewer'
      ? 'is a viewer, who may neither publish nor consume'
      : null
  if (cannot) {
    throw new DomainError(
      'CONFLICT',
      `${user} ${cannot}: a grant to them would keep every operator out of ${kind} ${name} and give nobody its use`,
      [{ path: 'user', message: cannot }]
    )
  }
  await trx('messagingGrants')
    .insert({ kind, name, userName: user, publish, consume, manage })
    .onConflict(['kind', 'name', 'userName'])
    .merge(['publish', 'consume', 'manage'])
  return { kind, name, user, publish, consume, manage }
}

export async function remove(trx: Knex, { kind, name, user }: C.Payload<'grants.delete'>) {
  const gone = await trx('messagingGrants').where({ kind, name, userName: user }).delete()
  return { deleted: gone > 0 }
}

/**
 * The condition on `messaging_grants g` for the grants that govern the queue named by the SQL
 * `queue`: its own, and, for a dead-letter queue, those of the queue whose dead messages it keeps
 * (`orders.dead` is part of `orders`: its messages are `orders`'s, and it goes when `orders` is
 * deleted). A topic's are its own.
 */
export const governsQueue = (queue: string) => `g.kind = 'queue' AND (g.name = ${queue}
  OR g.name IN (SELECT p.name FROM queues p WHERE p.dead_letter_queue = ${queue}))`

/** The grants that govern each of a JSON array of names (?1), by the name asked. */
const GRANTS_OF_NAMES = {
  queue: `SELECT n.value AS asked, g.user_name AS userName, g.consume
    FROM json_each(?1) n JOIN messaging_grants g ON ${governsQueue('n.value')}`,
  topic: `SELECT n.value AS asked, g.user_name AS userName, g.consume
    FROM json_each(?1) n JOIN messaging_grants g ON g.kind = 'topic' AND g.name = n.value`,
}

const GRANT_COLUMNS = 'g.kind, g.name, g.user_name AS userName, g.publish, g.consume, g.manage'
const GRANTS_OF = {
  queue: `SELECT ${GRANT_COLUMNS} FROM messaging_grants g WHERE ${governsQueue('?1')}`,
  topic: `SELECT ${GRANT_COLUMNS} FROM messaging_grants g WHERE g.kind = 'topic' AND g.name = ?1`,
}

/**
 * Refuses (403) the user the envelope of `payload` names when `kind` `name` is kept to granted
 * users and it is neither granted `action` nor an admin; with no grant on it, `manage` is an
 * admin's and the rest any operator's (the route has checked the role). The node's own work (no
 * user named) may. `known`: the grants on it, when the caller read them with its own statement.
 */
export async function mayUse(
  trx: Knex,
  payload: unknown,
  kind: Kind,
  name: string,
  action: Action,
  known?: GrantRow[]
): Promise<void> {
  const user = actorOf(payload)
  if (user === undefined || user.startsWith('peer:')) return
  const grants = known ?? (await withSql(trx, (sql) => sql.all<GrantRow>(GRANTS_OF[kind], [name])))
  if (grants.length === 0 && action !== 'manage') return
  const granted =
    grants.find((g) => g.userName === user && g[action]) ?? grants.find((g) => g.userName === user)
  if (granted?.[action]) return
  const role = (await trx('users').where({ name: user }).first('role')) as
    { role: string } | undefined
  if (role?.role === 'admin') return
  const why =
    grants.length === 0
      ? 'only an admin manages it while no user is granted'
      : `it is kept to the users granted, and ${user} is ${granted ? `not granted ${action}` : 'not one of them'}`
  throw new DomainError('FORBIDDEN', `${user} may not ${action} on ${kind} ${name}: ${why}`)
}

/**
 * For the operations that only read messages (a queue looked at, a topic's stream): refuses (403)
 * a user who is not an admin when one of `names` is kept to granted users and the user is not
 * granted consume on it. `what` names what was asked, for the sentence.
 */
export async function mayRead(
  trx: Knex,
  payload: unknown,
  kind: Kind,
  names: string[],
  what: string
): Promise<void> {
  const user = actorOf(payload)
  if (user === undefined || user.startsWith('peer:') || names.length === 0) return
  // Each name's grants, a dead-letter queue's those of its queue too (governsQueue): one statement.
  type Governing = { asked: string; userName: string; consume: number }
  const rows = await withSql(trx, (sql) =>
    sql.all<Governing>(GRANTS_OF_NAMES[kind], [JSON.stringify(names)])
  )
  const kept = new Set(rows.map((r) => r.asked))
  const mine = new Set(rows.filter((r) => r.userName === user && r.consume).map((r) => r.asked))
  const refused = [...kept].filter((name) => !mine.has(name)).sort()
  if (refused.length === 0) return
  const role = (await trx('users').where({ name: user }).first('role')) as
    { role: string } | undefined
  if (role?.role === 'admin') return
  throw new DomainError(
    'FORBIDDEN',
    `${user} may not read ${what}: ${kind} ${refused.join(', ')} is kept to the users granted consume`
  )
}
