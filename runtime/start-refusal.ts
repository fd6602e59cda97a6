// A start the machine refused, said as a sentence with what to do (`almacen: …` on stderr, beside
// the fatal log line): a port in use, a data directory held, not this user's, a file, a full disk,
// a database file that is not one. Anything else is left to the log line and its stack.
import path from 'node:path'
import { DATABASE_FILE_NAME } from '../db/settings.ts'
import { DataDirInUse } from './data-dir-lock.ts'

const OWNER =
  'run the node as the user who owns it, or give it to this one (chown -R); a knex command run ' +
  'as root leaves files only root may open'

/** What to say of `err`, which stopped a node starting with these settings; undefined: nothing. */
export function startRefusal(
  err: NodeJS.ErrnoException,
  config: { port: number; host: string; dataDir: string }
): string | undefined {
  const dir = path.resolve(config.dataDir)
  if (err.syscall === 'listen') {
    const where = `port ${config.port} on ${config.host}`
    if (err.code === 'EADDRINUSE') {
      return `${where} is already in use (another almacen node, or another program): stop it, or choose another port with --port or ALMACEN_PORT`
    }
    if (err.code === 'EACCES') {
      return `${where} may not be used by this user (ports below 1024 need privileges): choose another with --port or ALMACEN_PORT`
    }
    if (err.code === 'EADDRNOTAVAIL') {
      return `${config.host} is not an address of this machine: bind to one of its addresses (0.0.0.0 for all of them) with --host or ALMACEN_HOST`
    }
    return undefined
  }
  // The data directory, held by another node (or a knex command).
  if (err instanceof DataDirInUse) return err.message
  // A restore that could not be made (no peer answered, none holds the warehouse…): said so. By
  // its name: this file is loaded before the worker's fork, network/ after it.
  if (err.name === 'RestoreError')
    return `the restore did not start: ${err.message[0].toLowerCase()}${err.message.slice(1)}`
  // The file system refused the data directory or a file in it.
  if (typeof err.path === 'string') {
    const on = `${err.code} on ${err.path}`
    switch (err.code) {
      case 'EACCES':
      case 'EPERM':
        return `the data directory ${dir} may not be used by this user (${on}): ${OWNER}`
      case 'EEXIST':
      case 'ENOTDIR':
        return `the data directory ${dir} is a file, or inside one (${on}): choose a folder with --data-dir or ALMACEN_DATA_DIR`
      case 'ENOSPC':
        return `the disk of the data directory ${dir} is full (${on}): make room, then start again`
      case 'EROFS':
        return `the data directory ${dir} is on a file system mounted read-only (${on})`
      default:
        return undefined
    }
  }
  // The worker could not open its database (its error reaches here as a message).
  const sqlite = /\b(SQLITE_[A-Z]+)\b/.exec(err.message ?? '')?.[1]
  const file = path.join(dir, DATABASE_FILE_NAME)
  if (sqlite === 'SQLITE_NOTADB' || sqlite === 'SQLITE_CORRUPT') {
    return `${file} is not a database almacen can read, or it is damaged (${sqlite}): restore it from a backup (the README's Backups), or move it aside to start an empty one`
  }
  if (sqlite && /^SQLITE_(CANTOPEN|READONLY|PERM|AUTH)$/.test(sqlite)) {
    return `${file} cannot be opened for writing by this user (${sqlite}): ${OWNER}`
  }
  // Opening writes (migrations, the node's identity, the start's checks): a full disk stops it.
  if (sqlite === 'SQLITE_FULL') {
    return `the disk of the data directory ${dir} is full (${sqlite} as ${file} was opened): make room, then start again`
  }
  return undefined
}
