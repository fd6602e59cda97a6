import t from 'tap'
import { RestoreError } from '../../network/replication/restore.ts'
import { DataDirInUse } from '../../runtime/data-dir-lock.ts'
import { startRefusal } from '../../runtime/start-refusal.ts'

const config = { port: 8080, host: '127.0.0.1', dataDir: '/var/lib/almacen' }
const fsError = (code: string, syscall: string, path: string) =>
  Object.assign(new Error(`${code}: ${syscall} '${path}'`), { code, syscall, path })

t.test('says what the machine refused, and what to do', async (t) => {
  const said = (err: Error) => startRefusal(err, config)
  t.match(
    said(Object.assign(new Error('x'), { code: 'EADDRINUSE', syscall: 'listen' })),
    /^port 8080 on 127.0.0.1 is already in use/
  )
  t.match(
    said(Object.assign(new Error('x'), { code: 'EACCES', syscall: 'listen' })),
    /ports below 1024 need privileges/
  )
  t.equal(
    said(Object.assign(new Error('x'), { code: 'EADDRNOTAVAIL', syscall: 'listen' })),
    '127.0.0.1 is not an address of this machine: bind to one of its addresses (0.0.0.0 for all of them) with --host or ALMACEN_HOST'
  )
  t.match(
    said(fsError('EACCES', 'open', '/var/lib/almacen/almacen.pid')),
    /^the data directory \/var\/lib\/almacen may not be used by this user \(EACCES on \/var\/lib\/almacen\/almacen.pid\): run the node as the user who owns it, or give it to this one \(chown -R\); a knex command run as root/
  )
  t.match(said(fsError('EPERM', 'scandir', '/var/lib/almacen')), /may not be used by this user/)
  t.match(said(fsError('ENOTDIR', 'mkdir', '/var/lib/almacen')), /is a file, or inside one/)
  t.match(said(fsError('ENOSPC', 'write', '/var/lib/almacen/almacen.sqlite')), /is full/)
  t.match(said(fsError('EROFS', 'open', '/var/lib/almacen/almacen.pid')), /read-only/)
  t.match(
    said(
      new Error(
        'The database worker failed to start: SQLITE_CANTOPEN: unable to open database file'
      )
    ),
    /^\/var\/lib\/almacen\/almacen.sqlite cannot be opened for writing by this user \(SQLITE_CANTOPEN\)/
  )
  t.equal(
    said(
      new Error(
        'The database worker failed to start: COMMIT; - SQLITE_FULL: database or disk is full'
      )
    ),
    'the disk of the data directory /var/lib/almacen is full (SQLITE_FULL as /var/lib/almacen/almacen.sqlite was opened): make room, then start again'
  )
  t.match(
    said(new Error('… SQLITE_CORRUPT: database disk image is malformed')),
    /is damaged \(SQLITE_CORRUPT\): restore it from a backup/
  )
  const held = new DataDirInUse('/var/lib/almacen', {
    pid: 42,
    startedAt: '2026-12-04T00:00:00Z',
  } as never)
  t.equal(said(held), held.message)
  // A restore that could not be made is said as the restore's own sentence.
  t.equal(
    said(new RestoreError('No peer answered: http://10.0.0.2:8080 did not answer (timeout)')),
    'the restore did not start: no peer answered: http://10.0.0.2:8080 did not answer (timeout)'
  )
})

t.test('leaves anything else to the log line and its stack', async (t) => {
  t.equal(startRefusal(new Error('something else'), config), undefined)
  t.equal(
    startRefusal(Object.assign(new Error('x'), { code: 'EINVAL', syscall: 'listen' }), config),
    undefined
  )
  t.equal(
    startRefusal(fsError('EIO', 'read', '/var/lib/almacen/almacen.sqlite'), config),
    undefined
  )
  t.equal(startRefusal(new Error('SQLITE_BUSY: database is locked'), config), undefined)
})
