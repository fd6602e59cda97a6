// Users and API tokens as the REST surface takes and gives them. Roles, weakest first: viewer
// (reads), operator (movements, transfers, counts), admin (catalogue, ledger, membership, users
// and tokens); each may do what the ones before it may.
import { z } from 'zod'
import { requiredText } from './fields.ts'

/**
 * The file in a node's data directory that holds its first admin token (written on its first
 * start, readable only by the node's user): the node writes it, the local client reads it.
 */
export const ADMIN_TOKEN_FILE = 'admin-token'

/**
 * The file in a node's data directory that says where it listens, written once it does:
 * `{"scheme":"http","host":"127.0.0.1","port":8080,"pid":4242}`. The local client sends
 * ADMIN_TOKEN_FILE's token only to that address and port, and only while the process that wrote
 * it runs and holds the directory (almacen.pid): not to whatever listens on a mistyped port, on
 * another loopback address, or on the port once the node has let it go.
 */
export const LISTENING_FILE = 'almacen.listening'

/** The file in a node's data directory naming the process that holds it (runtime/data-dir-lock.ts). */
export const PID_FILE = 'almacen.pid'

/** What LISTENING_FILE holds. */
export interface Listening {
  scheme: 'http' | 'https'
  /** The address bound, as the server reports it: 127.0.0.1, ::1, 0.0.0.0, ::… */
  host: string
  port: number
  /** The node's runtime, which wrote the file. */
  pid: number
  /** When it started, in clock ticks since the boot (lib/processes.ts startTicks), if known. */
  started?: number
}

export const ROLE_NAMES = ['viewer', 'operator', 'admin'] as const
export type RoleName = (typeof ROLE_NAMES)[number]

const role = z.enum(ROLE_NAMES, { error: `must be one of ${ROLE_NAMES.join(', ')}` })

/** A user's name: what the ledger will record as who made a movement. */
export const userName = z
  .string({ error: 'must be a string' })
  .trim()
  .regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, {
    error: 'must be 1-64 lower-case letters, digits, dots, dashes or underscores',
  })

/**
 * The actor of the ledger rows the node makes itself (db/ledger/post.ts `SYSTEM`): no user may
 * take the name, or their movements would read as the node's own.
 */
export const SYSTEM_ACTOR = 'system'

export const userInput = z.strictObject({
  name: userName.refine((name) => name !== SYSTEM_ACTOR, {
    error: `"${SYSTEM_ACTOR}" is how the ledger names the node's own rows: choose another name`,
  }),
  role,
})
export const userChange = z
  .strictObject({ role: role.optional(), disabled: z.boolean().optional() })
  .refine((change) => change.role !== undefined || change.disabled !== undefined, {
    error: 'give role or disabled (or both)',
  })

export const tokenInput = z.strictObject({
  user: userName,
  /** What the token is for ("scanner 3", "prometheus"): shown in the list. */
  name: requiredText(100),
  /** When it stops working (an ISO 8601 time in the future); never, without one. */
  expiresAt: z.iso
    .datetime({ offset: true, error: 'must be an ISO 8601 time such as 2027-01-31T00:00:00Z' })
    .refine((at) => Date.parse(at) > Date.now(), { error: 'must be in the future' })
    .transform((at) => new Date(at).toISOString())
    .optional(),
})

export const tokensQuery = z.strictObject({ user: userName.optional() })

/** A token's id, as lists show it and revocations name it. */
export const tokenId = z
  .string()
  .regex(/^tok_[0-9a-f]{12}$/, { error: 'must be a token id (tok_…)' })

export interface UserView {
  name: string
  role: RoleName
  createdAt: string
  disabledAt: string | null
}

export interface TokenView {
  id: string
  user: string
  name: string
  createdAt: string
  expiresAt: string | null
  revokedAt: string | null
}

/** A token just made: the only time its secret is shown. */
export interface IssuedToken extends TokenView {
  token: string
}

/** GET /me: who the token given belongs to. */
export interface Me {
  user: string
  role: RoleName
  tokenId: string
}
