import type { Knex } from 'knex'
import { PROTOCOL_VERSION, type ReplyEnvelope } from './contract.ts'
import { dispatch, isWrite, type DispatchOptions } from './dispatch.ts'

/**
 * Executes envelopes one at a time, in arrival order. When any of them writes, all of them run in
 * one transaction that commits once (group commit: one fsync for the batch), and no reply is
 * released before that commit — so a 2xx always means on disk, and no read sees an uncommitted row.
 */
export async function runBatch(
  knex: Knex,
  envelopes: unknown[],
  options: DispatchOptions
): Promise<ReplyEnvelope[]> {
  const runAll = async (db: Knex) => {
    const replies: ReplyEnvelope[] = []
    for (const envelope of envelopes) replies.push(await dispatch(db, envelope, options))
    return replies
  }
  if (!envelopes.some(isWrite)) return runAll(knex)
  try {
    return await knex.transaction(runAll)
  } catch (err) {
    options.log.error(
      { err, size: envelopes.length },
      'batch transaction failed; nothing in it was applied'
    )
    return envelopes.map((envelope) => ({
      v: PROTOCOL_VERSION,
      id: String((envelope as { id?: unknown })?.id ?? ''),
      ok: false,
      error: {
        code: 'INTERNAL',
        message: 'The transaction could not be committed; nothing was applied',
      },
    }))
  }
}
