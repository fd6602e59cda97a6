// The node's first admin: on a node with no user yet, the user `admin` and a token for it, the
// token written to a file in the data directory that only this user can read. The log says where,
// never what; the local client reads it from there.
import path from 'node:path'
import type { Logger } from 'pino'
import type { DbClient } from './db-client.ts'
import { newToken } from './tokens.ts'
import { ADMIN_TOKEN_FILE } from '../api/access.ts'
import { writePrivately } from '../lib/private-file.ts'

/**
 * Makes the first admin and its token when the node has no user. The file is written before the
 * token is stored: a crash between the two leaves a file whose token is not stored, and the next
 * start, still finding no user, writes it again.
 */
export async function ensureFirstAdmin(db: DbClient, dataDir: string, log: Logger): Promise<void> {
  const { users } = (await db.call('users.list', {})).data as { users: unknown[] }
  if (users.length > 0) return
  const { file, data } = await adminToken(db, dataDir, 'access.bootstrap', 'first admin token')
  if ((data as { created: boolean }).created) {
    log.info(
      { file },
      `no user yet: made the user admin and its first API token, written to ${file} (readable by this user only)`
    )
  }
}

/**
 * A new admin token at this start (--new-admin-token), written to the same file: for whoever runs
 * the node when no admin's token works any more. Running the node is already the keys to its
 * data, so this gives no one more than they hold. The log says for whom and where, never what.
 */
export async function newAdminToken(db: DbClient, dataDir: string, log: Logger): Promise<void> {
  const name = 'admin token made at start (--new-admin-token)'
  const { file, data, tokenId } = await adminToken(db, dataDir, 'access.recover', name)
  const { user } = data as { user: string }
  log.warn(
    { file, user, tokenId },
    `--new-admin-token: a new API token for the admin ${user}, written to ${file} (readable by this user only); start without the flag from now on`
  )
}

/**
 * A new token written to the data directory's admin-token file, then stored by `op` (which says
 * whose it is). The file goes first: a crash between the two leaves a token that does not work,
 * and the start that follows writes another.
 */
async function adminToken(
  db: DbClient,
  dataDir: string,
  op: 'access.bootstrap' | 'access.recover',
  name: string
) {
  const made = newToken()
  const file = path.resolve(dataDir, ADMIN_TOKEN_FILE)
  await writePrivately(file, `${made.token}\n`)
  const { data } = await db.call(op, { id: made.id, name, hash: made.hash })
  return { file, data, tokenId: made.id }
}
