// Named failpoints: places in the code where a test can have the process kill itself, to prove
// that a crash at exactly that step loses nothing acknowledged and applies nothing twice
// (../shared/research/replication-transfers.md §7.1). Off unless ALMACEN_FAILPOINT names them:
//
//   ALMACEN_FAILPOINT=transfers.create.after-post:kill,inbox.after-commit:kill
//
// `kill` sends SIGKILL to the process itself (no exit handler runs, no buffer is flushed: as
// kill -9 from outside). The variable is read once, at the first call; a name that is not set
// costs one Map lookup.
//
// The names, where they are and what has happened when they fire:
//
// Inside the worker's batch transaction (nothing of the step is committed; the batch rolls back).
// A step's rows, record, outbox message and event go to SQLite in one script (db/sql.ts), so
// "posted" and "in the outbox" mean decided, in the batch's transaction, not yet written:
//   transfers.create.after-post     A: the transfer_out rows are posted, before the transfer row
//   transfers.create.after-outbox   A: the dispatch message is in the outbox, before the event
//   transfers.receive.after-post    B: the transfer_in rows are posted, before the receipt row
//   transfers.receive.after-outbox  B: the received message is in the outbox, before the event
//   transfers.reject.after-outbox   B: the rejected message is in the outbox
//   transfers.cancel.after-outbox   A: the cancel_requested message is in the outbox
//   transfers.return.after-post     A: the transfer_return rows are posted
//   transfers.writeOff.after-post   A: the transfer_writeoff rows of goods not come back are posted
//   inbox.<kind>.after-post         either side: a peer's message (e.g. inbox.transfer.received)
//   inbox.<kind>.after-outbox       has posted its rows / queued its answer message (B's
//                                   cancel_accepted), inside the message's own savepoint
//   inbox.after-apply               either side: one peer message applied, before its answer is
//                                   stored with it
//   outbox.settle.before-write      the relay's attempt is about to be recorded
// After the worker's batch has committed, before any reply is sent (db/worker-loop.ts):
//   <op>.after-commit               for every write op of the batch, e.g.
//                                   transfers.create.after-commit, transfers.inboxV2.after-commit
//                                   (= inbox.after-commit in the design), transfers.receive.after-commit
// The relay (network/transfers, the other side's) names its own: relay.before-send,
// relay.after-answer-before-settle.

/** The variable that arms failpoints: `name:kill`, comma-separated. */
export const FAILPOINT_ENV = 'ALMACEN_FAILPOINT'

const ACTIONS = ['kill'] as const
export type FailpointAction = (typeof ACTIONS)[number]

/** The failpoints a value of ALMACEN_FAILPOINT names; a malformed entry is an error, not ignored. */
export function parseFailpoints(text: string | undefined): Map<string, FailpointAction> {
  const points = new Map<string, FailpointAction>()
  for (const entry of (text ?? '').split(',').map((e) => e.trim())) {
    if (!entry) continue
    const [name, action = 'kill'] = entry.split(':')
    if (!name || !ACTIONS.includes(action as never)) {
      throw new Error(`${FAILPOINT_ENV}: "${entry}" is not name:kill`)
    }
    points.set(name, action as FailpointAction)
  }
  return points
}

// Read at start: a process told to fail somewhere it cannot understand stops at once, saying why.
const armed = parseFailpoints(process.env[FAILPOINT_ENV])

/** Kills this process here (kill -9 of itself) if ALMACEN_FAILPOINT names `name`. */
export function failpoint(name: string): void {
  if (armed.size === 0 || !armed.has(name)) return
  process.kill(process.pid, 'SIGKILL')
}

/** Whether any failpoint is armed (callers may skip building names). */
export function failpointsArmed(): boolean {
  return armed.size > 0
}
