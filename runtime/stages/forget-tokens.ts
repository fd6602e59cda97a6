// What is remembered of API tokens (runtime/tokens.ts) is forgotten after every write to users or
// tokens, whatever its outcome: a write that timed out may still commit, so it is forgotten again
// once it must have.
import type { OpName } from '../../db/contract/index.ts'
import type { Db } from '../context.ts'
import type { TokenHolders } from '../tokens.ts'

/** The writes after which what is remembered of tokens may be wrong. */
const CHANGING: ReadonlySet<OpName> = new Set([
  'users.create',
  'users.update',
  'tokens.create',
  'tokens.revoke',
  'access.bootstrap',
])

/**
 * The database as a handler sees it, making `holders` forget after each write to users or
 * tokens, whatever its outcome (a write that timed out may still commit: forgotten again later).
 */
export function forgettingHolders(db: Db, holders: TokenHolders, laterMs: number[]): Db {
  return {
    async send(op, payload, options) {
      if (!CHANGING.has(op)) return db.send(op, payload, options)
      try {
        return await db.send(op, payload, options)
      } finally {
        holders.forget()
        for (const ms of laterMs) setTimeout(() => holders.forget(), ms).unref()
      }
    },
    async sendEach(op, calls, options) {
      try {
        return await db.sendEach(op, calls, options)
      } finally {
        if (CHANGING.has(op)) holders.forget()
      }
    },
  }
}
