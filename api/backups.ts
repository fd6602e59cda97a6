// Backups: POST /backup, GET /backups, GET /backups/:name (the file itself).

/** A consistent copy of a node's database, kept in its data directory's backups/ folder. */
export interface Backup {
  /** Its name in the folder, chosen by the node; GET /backups/:name downloads it. */
  name: string
  bytes: number
  /** The last ledger row in the copy. */
  head: { seq: number; hash: string }
  /** The last event of the node's log in the copy. */
  events: number
  nodeId: string
  takenAt: string
  /** Taken by the schedule (the oldest beyond --backup-keep are removed), or by hand. */
  scheduled: boolean
}
