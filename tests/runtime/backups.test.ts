// The node's backups as the runtime takes them (runtime/backups.ts), on a worker that answers as
// the test says: how a failed backup is told to the admin who asked.
import { pino } from 'pino'
import t from 'tap'
import type { BackupJob } from '../../db/contract/index.ts'
import type { DbClient } from '../../runtime/db-client.ts'
import { longTimeout, NodeBackups, NO_SCHEDULE } from '../../runtime/backups.ts'

/** A worker whose backup job ends as `ended` (its start answers running). */
function backups(ended: Partial<BackupJob>) {
  const job = { name: 'b-1.sqlite', state: 'running' } as BackupJob
  const db = {
    call: async (op: string) => ({ data: op === 'backups.start' ? job : { ...job, ...ended } }),
  } as unknown as DbClient
  return new NodeBackups(db, t.testdir(), NO_SCHEDULE, pino({ level: 'silent' }))
}

t.test('a backup that failed for want of space is 507 DISK_FULL, saying what to do', async (t) => {
  for (const message of [
    'The backup failed: SQLITE_FULL: database or disk is full',
    'The backup failed: ENOSPC: no space left on device, write',
  ]) {
    await t.rejects(backups({ state: 'failed', message, diskFull: true }).take(), {
      status: 507,
      code: 'DISK_FULL',
      message: /is full: free space on it, then take the backup again$/,
    })
  }
})

t.test('a backup that failed otherwise is said as it came, 500', async (t) => {
  const message = 'The backup failed: EACCES: permission denied'
  await t.rejects(backups({ state: 'failed', message }).take(), {
    status: 500,
    code: 'INTERNAL',
    message,
  })
})

t.test('a wait longer than a timer can hold is waited for in steps, then runs once', async (t) => {
  // A fake setTimeout: each timer recorded with its delay, run when the test says.
  const timers: { step: () => void; ms: number }[] = []
  const set = (step: () => void, ms: number) => (timers.push({ step, ms }), { unref: () => 0 })
  let ran = 0
  longTimeout(() => ran++, 35, set, 10)
  for (let i = 0; i < 4; i++) {
    t.equal(ran, 0, `not before the wait is over (timer ${i + 1})`)
    timers[i].step()
  }
  t.same(
    timers.map((x) => x.ms),
    [10, 10, 10, 5]
  )
  t.equal(ran, 1)
  // Cancelled between steps: nothing more is set, nothing runs.
  const cancelled = longTimeout(() => ran++, 25, set, 10)
  timers[4].step()
  cancelled.cancel()
  timers[5].step()
  t.equal(timers.length, 6)
  t.equal(ran, 1)
})
