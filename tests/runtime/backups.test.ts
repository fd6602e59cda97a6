// The node's backups as the runtime takes them (runtime/backups.ts), on a worker that answers as
// the test says: how a failed backup is told to the admin who asked.
import { pino } from 'pino'
import t from 'tap'
import type { Backup, BackupJob } from '../../db/contract/index.ts'
import type { DbClient } from '../../runtime/db-client.ts'
import {
  FIRST_SCHEDULED_MS,
  firstScheduledIn,
  longTimeout,
  NodeBackups,
  NO_SCHEDULE,
} from '../../runtime/backups.ts'

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

t.test('the schedule goes on from the newest scheduled backup, not from the start', async (t) => {
  const hour = 3_600_000
  const day = 24 * hour
  const now = Date.parse('2026-12-05T12:00:00.000Z')
  const taken = (name: string, hoursAgo: number) =>
    ({ name, takenAt: new Date(now - hoursAgo * hour).toISOString() }) as Backup
  // Daily, the newest scheduled one 20 h ago: the next in 4 h, whenever the node restarted.
  t.equal(
    firstScheduledIn(day, [taken('scheduled-a.sqlite', 44), taken('scheduled-b.sqlite', 20)], now),
    4 * hour
  )
  t.equal(firstScheduledIn(day, [taken('scheduled-a.sqlite', 30)], now), 0, 'overdue: at once')
  // One taken by hand is not the schedule's.
  t.equal(
    firstScheduledIn(day, [taken('backup-a.sqlite', 1)], now),
    FIRST_SCHEDULED_MS,
    'none scheduled yet: soon after the start'
  )
  t.equal(firstScheduledIn(5 * 60_000, [], now), 5 * 60_000, 'or the interval, when shorter')
  t.equal(
    firstScheduledIn(hour, [taken('scheduled-a.sqlite', -2)], now),
    hour,
    'a clock set back: never more than an interval away'
  )
})

t.test('a node started with a scheduled backup overdue takes one at once', async (t) => {
  const asked: string[] = []
  let started = () => {}
  const startedNow = new Promise<void>((resolve) => (started = resolve))
  const old = { name: 'scheduled-old.sqlite', takenAt: '2020-01-01T00:00:00.000Z' }
  const db = {
    call: async (op: string) => {
      asked.push(op)
      if (op === 'backups.list') return { data: [old] }
      started()
      return { data: { name: 'scheduled-new.sqlite', state: 'done', backup: old } }
    },
  } as unknown as DbClient
  const schedule = { everyMs: 24 * 3_600_000, keep: 7 }
  const node = new NodeBackups(db, t.testdir(), schedule, pino({ level: 'silent' }))
  // The schedule's timers hold no process open: this one does, until the backup is taken.
  const alive = setTimeout(() => undefined, 30_000)
  await node.open()
  t.teardown(() => node.close())
  await startedNow
  clearTimeout(alive)
  t.same(asked.slice(0, 2), ['backups.list', 'backups.start'], 'listed, then taken')
})
