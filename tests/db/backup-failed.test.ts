// What a backup that threw says of itself (db/backups/ops.ts failedJob): whether it failed for
// want of space, which the runtime answers 507 DISK_FULL (tests/runtime/backups.test.ts).
import t from 'tap'
import { failedJob } from '../../db/backups/ops.ts'

const error = (message: string, code: string) => Object.assign(new Error(message), { code })

t.test('a full disk, as SQLite or the file system says it, is told apart', async (t) => {
  t.same(failedJob(error('SQLITE_FULL: database or disk is full', 'SQLITE_FULL')), {
    state: 'failed',
    message: 'The backup failed: SQLITE_FULL: database or disk is full',
    diskFull: true,
  })
  t.match(failedJob(error('ENOSPC: no space left on device, write', 'ENOSPC')), {
    diskFull: true,
  })
  t.same(failedJob(error('EACCES: permission denied', 'EACCES')), {
    state: 'failed',
    message: 'The backup failed: EACCES: permission denied',
  })
})
