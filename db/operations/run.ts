import type { Knex } from 'knex'
import type { OpName, Payload, Result } from '../contract/index.ts'
import { postTogether, type LedgerWrite, type LedgerWritePart } from '../ledger/record.ts'
import { unwrap, type Outcome } from '../outcome.ts'
import type { RunOptions } from '../sql.ts'

/** An operation runs on the transaction (or connection) it is given, never on another. */
export type Operation<O extends OpName> = ((
  trx: Knex,
  payload: Payload<O>
) => Promise<Result<O>>) & {
  /**
   * The same operation over a run of payloads at once (a run of receipts is a few statements):
   * an outcome for each, a refusal being one. It throws only on a fault, leaving nothing written
   * — unless `enclosed`: its caller undoes everything on a throw (RunOptions).
   */
  run?: (db: Knex, payloads: Payload<O>[], options?: RunOptions) => Promise<Outcome<Result<O>>[]>
  /**
   * How it posts to the ledger, for an operation that does: a batch runs its envelopes together
   * with the other ledger writes of the batch, on one state and in one script (`postTogether`).
   */
  posting?: LedgerWrite<Payload<O>>
  /**
   * For a read that changes the worker's memory (a verify job's steps): a batch runs it after its
   * COMMIT, on what is committed, never inside the transaction — there it could take in rows that
   * a failed COMMIT takes back, and memory is not rolled back with them (`afterCommitOperation`).
   */
  afterCommit?: true
}

/** An operation whose run form is the whole of it: one payload is a run of one. */
export function runOperation<O extends OpName>(
  run: (db: Knex, payloads: Payload<O>[], options?: RunOptions) => Promise<Outcome[]>
): Operation<O> {
  const one = async (db: Knex, payload: Payload<O>) => {
    const [outcome] = await run(db, [payload])
    return unwrap(outcome) as Result<O>
  }
  return Object.assign(one, { run: run as NonNullable<Operation<O>['run']> })
}

/** An operation that posts to the ledger: its run form is `posting` through `postTogether`. */
export function postingOperation<O extends OpName>(posting: LedgerWrite<Payload<O>>): Operation<O> {
  const part = (payloads: unknown[]): LedgerWritePart => ({
    posting: posting as LedgerWrite<never>,
    payloads,
  })
  return Object.assign(
    runOperation<O>((db, payloads, options) => postTogether(db, [part(payloads)], options)),
    { posting }
  )
}

/** A read that a batch runs once it has committed (Operation.afterCommit). */
export function afterCommitOperation<O extends OpName>(
  read: (db: Knex, payload: Payload<O>) => Promise<Result<O>>
): Operation<O> {
  return Object.assign((db: Knex, payload: Payload<O>) => read(db, payload), {
    afterCommit: true as const,
  })
}
