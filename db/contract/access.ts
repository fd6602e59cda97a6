// Who may use the API: users with a role, and their API tokens, stored as hashes.
import { z } from 'zod'
import { nothing, read, write } from './descriptor.ts'

/** What each role may do, weakest first: each may do what the ones before it may. */
export const ROLES = ['viewer', 'operator', 'admin'] as const
export type Role = (typeof ROLES)[number]

export interface User {
  name: string
  role: Role
  createdAt: string
  /** Set once disabled: none of the user's tokens is accepted. */
  disabledAt: string | null
}

/** A token as listed: never its secret, which is shown once and stored only as a hash. */
export interface ApiToken {
  id: string
  user: string
  name: string
  createdAt: string
  expiresAt: string | null
  revokedAt: string | null
}

/** What the node needs to decide on a request that carries a token. */
export interface TokenHolder {
  tokenId: string
  user: string
  role: Role
  expiresAt: string | null
  revokedAt: string | null
  disabledAt: string | null
}

const role = z.enum(ROLES)
const hash = z.string().regex(/^[0-9a-f]{64}$/)
const tokenRow = z.strictObject({
  id: z.string().min(1),
  user: z.string().min(1),
  name: z.string().min(1),
  hash,
  expiresAt: z.string().nullable(),
})

export const accessOps = {
  'users.list': read(nothing).returns<{ users: User[] }>(),
  'users.create': write(z.strictObject({ name: z.string().min(1), role })).returns<User>(),
  'users.update': write(
    z.strictObject({
      name: z.string().min(1),
      role: role.optional(),
      disabled: z.boolean().optional(),
    })
  ).returns<User>(),
  'tokens.list': read(z.strictObject({ user: z.string().optional() })).returns<{
    tokens: ApiToken[]
  }>(),
  'tokens.create': write(tokenRow).returns<ApiToken>(),
  'tokens.revoke': write(z.strictObject({ id: z.string().min(1) })).returns<ApiToken>(),
  /** The holder of the token whose secret hashes to `hash`; null when there is none. */
  'tokens.lookup': read(z.strictObject({ hash })).returns<{ holder: TokenHolder | null }>(),
  /**
   * On a node with no user yet: creates the user `admin` (role admin) and its first token, in one
   * transaction. With users already there it changes nothing: `created` is false.
   */
  'access.bootstrap': write(tokenRow.omit({ user: true, expiresAt: true })).returns<{
    created: boolean
  }>(),
  /**
   * Whoever runs the node asked for a new admin token (--new-admin-token): a token for the first
   * enabled admin; with none, the user admin enabled again as an admin, or made. Its user.
   */
  'access.recover': write(tokenRow.omit({ user: true, expiresAt: true })).returns<{
    user: string
  }>(),
}
