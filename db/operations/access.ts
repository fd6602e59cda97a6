// Users and their API tokens. Tokens arrive as hashes: the secret never reaches the worker.
import type { Knex } from 'knex'
import type * as C from '../contract/index.ts'
import { DomainError } from '../domain-error.ts'

interface UserRow {
  name: string
  role: C.Role
  createdAt: string
  disabledAt: string | null
}

interface TokenRow {
  id: string
  userName: string
  name: string
  createdAt: string
  expiresAt: string | null
  revokedAt: string | null
}

const toToken = ({ userName, ...row }: TokenRow): C.ApiToken => ({ ...row, user: userName })
const TOKEN_COLUMNS = ['id', 'userName', 'name', 'createdAt', 'expiresAt', 'revokedAt']

/** The user named `name`, given in the request's `field`; NOT_FOUND names that field. */
export async function userNamed(trx: Knex, name: string, field: 'name' | 'user'): Promise<UserRow> {
  const user = (await trx('users').where({ name }).first()) as UserRow | undefined
  if (!user) {
    throw new DomainError('NOT_FOUND', `No user named ${name}`, [
      { path: field, message: `no user named ${name}` },
    ])
  }
  return user
}

export async function listUsers(trx: Knex): Promise<{ users: C.User[] }> {
  return { users: (await trx('users').orderBy('name')) as UserRow[] }
}

export async function createUser(trx: Knex, { name, role }: C.Payload<'users.create'>) {
  if (await trx('users').where({ name }).first()) {
    throw new DomainError('CONFLICT', `There is already a user named ${name}`, [
      { path: 'name', message: 'taken' },
    ])
  }
  const user: UserRow = { name, role, createdAt: new Date().toISOString(), disabledAt: null }
  await trx('users').insert(user)
  return user
}

/**
 * Changes a user's role or disables (or enables) them. The last enabled admin can be neither
 * demoted nor disabled: nobody could manage the node after it.
 */
export async function updateUser(trx: Knex, change: C.Payload<'users.update'>) {
  const user = await userNamed(trx, change.name, 'name')
  const next: UserRow = {
    ...user,
    role: change.role ?? user.role,
    disabledAt:
      change.disabled === undefined
        ? user.disabledAt
        : change.disabled
          ? (user.disabledAt ?? new Date().toISOString())
          : null,
  }
  const wasAdmin = user.role === 'admin' && user.disabledAt === null
  const staysAdmin = next.role === 'admin' && next.disabledAt === null
  if (wasAdmin && !staysAdmin) {
    // Another admin who can act: enabled, with a token that still works (one never given a
    // token, or whose tokens were revoked or expired, manages nothing).
    const [{ n }] = await trx('users as u')
      .where({ 'u.role': 'admin' })
      .whereNull('u.disabledAt')
      .whereNot({ 'u.name': user.name })
      .whereExists(
        trx('api_tokens as t')
          .select('t.id')
          .whereRaw('t.user_name = u.name')
          .whereNull('t.revokedAt')
          .whereRaw('(t.expires_at IS NULL OR t.expires_at > ?)', [new Date().toISOString()])
      )
      .count({ n: '*' })
    if (Number(n) === 0) {
      throw new DomainError(
        'CONFLICT',
        `${user.name} is the last admin with a working token: make another user admin and give them a token first, or nobody could manage this node`
      )
    }
  }
  await trx('users')
    .where({ name: user.name })
    .update({ role: next.role, disabledAt: next.disabledAt })
  return next
}

export async function listTokens(trx: Knex, { user }: C.Payload<'tokens.list'>) {
  const query = trx('api_tokens').select(TOKEN_COLUMNS).orderBy('createdAt').orderBy('id')
  if (user !== undefined) query.where({ userName: user })
  return { tokens: ((await query) as TokenRow[]).map(toToken) }
}

export async function createToken(trx: Knex, token: C.Payload<'tokens.create'>) {
  const user = await userNamed(trx, token.user, 'user')
  if (user.disabledAt) {
    throw new DomainError('CONFLICT', `${user.name} is disabled: enable the user first`)
  }
  const row = {
    id: token.id,
    userName: user.name,
    name: token.name,
    createdAt: new Date().toISOString(),
    expiresAt: token.expiresAt,
    revokedAt: null,
  }
  await trx('api_tokens').insert({ ...row, hash: token.hash })
  return toToken(row)
}

/** Revokes a token for good; revoking it again changes nothing. */
export async function revokeToken(trx: Knex, { id }: C.Payload<'tokens.revoke'>) {
  const found = (await trx('api_tokens').select(TOKEN_COLUMNS).where({ id }).first()) as
    TokenRow | undefined
  if (!found) {
    throw new DomainError('NOT_FOUND', `No token with id ${id}`, [
      { path: 'id', message: `no token with id ${id}` },
    ])
  }
  if (found.revokedAt === null) {
    found.revokedAt = new Date().toISOString()
    await trx('api_tokens').where({ id }).update({ revokedAt: found.revokedAt })
  }
  return toToken(found)
}

export async function lookupToken(trx: Knex, { hash }: C.Payload<'tokens.lookup'>) {
  const holder = (await trx('api_tokens as t')
    .join('users as u', 'u.name', 't.userName')
    .where('t.hash', hash)
    .first(
      't.id as tokenId',
      'u.name as user',
      'u.role as role',
      't.expiresAt as expiresAt',
      't.revokedAt as revokedAt',
      'u.disabledAt as disabledAt'
    )) as C.TokenHolder | undefined
  return { holder: holder ?? null }
}

const FIRST_ADMIN = 'admin'

export async function recover(trx: Knex, token: C.Payload<'access.recover'>) {
  const admin = (await trx('users')
    .where({ role: 'admin' })
    .whereNull('disabledAt')
    .orderBy('createdAt')
    .orderBy('name')
    .first('name')) as { name: string } | undefined
  let user = admin?.name
  if (!user) {
    user = FIRST_ADMIN
    const there = await trx('users').where({ name: user }).first('name')
    if (there) await trx('users').where({ name: user }).update({ role: 'admin', disabledAt: null })
    else await createUser(trx, { name: user, role: 'admin' })
  }
  await createToken(trx, { ...token, user, expiresAt: null })
  return { user }
}

export async function bootstrap(trx: Knex, token: C.Payload<'access.bootstrap'>) {
  const [{ n }] = await trx('users').count({ n: '*' })
  if (Number(n) > 0) return { created: false }
  await createUser(trx, { name: FIRST_ADMIN, role: 'admin' })
  await createToken(trx, { ...token, user: FIRST_ADMIN, expiresAt: null })
  return { created: true }
}
