import {
  movementBatch,
  type BatchAnswer,
  type BatchResult,
  type Movement,
} from '../../api/index.ts'
import { defineHandler, HttpError, type ErrorCode } from '../../runtime/index.ts'

/**
 * Many movements at once, each recorded as POST /movements would record it under its own
 * idempotency key: one answer per line, in order; a line sent before answers its first outcome.
 * The lines are independent: a refused line does not stop the others. A line the node could not
 * settle (5xx: its database down, busy, slow, its disk full) is to `retry`, not refused: recorded
 * or not, it is recorded once when sent again with its key.
 */
export default defineHandler(
  {
    access: 'operator',
    summary: 'Records many movements, each under its own idempotency key; one answer per line',
    body: movementBatch,
    // 1,000 lines of a key, a SKU, a reference and a note each: well over the usual 64 KiB.
    maxBodyBytes: 2 * 1024 * 1024,
    example: {
      body: {
        lines: [
          { key: 'scan-0001', type: 'receipt', sku: 'BOLT-M8', quantity: 200 },
          { key: 'scan-0002', type: 'issue', sku: 'BOLT-M8', quantity: 5, reference: 'WO-9' },
        ],
      },
    },
  },
  async (_request, ctx, { body }): Promise<BatchResult> => {
    const calls = body.lines.map(({ key, ...payload }) => ({ key, payload }))
    const replies = await ctx.db.sendEach('movements.record', calls)
    const answers = replies.map((reply, i): BatchAnswer => {
      const { key } = calls[i]
      const line = { line: i + 1, key, replayed: reply.replayed }
      if (reply.ok) return { ...line, status: 201, movement: reply.data as Movement }
      const { status, code, error, details } = reply
      return { ...line, status, code, error, ...(details !== undefined && { details }) }
    })
    const applied = answers.filter((a) => a.status === 201).length
    const retry = answers.filter((a) => a.status >= 500)
    // Not one line settled: the request failed as a whole, and says so with its status (a client
    // that reads the status alone must not take it for a batch of refusals).
    const [first] = retry
    if (retry.length === answers.length && first && 'code' in first) {
      throw new HttpError(
        first.code as ErrorCode,
        `No line is known to be recorded (${first.error}): send the batch again with the same keys, and each line is recorded once`,
        { headers: { 'retry-after': '1' } }
      )
    }
    return {
      applied,
      refused: answers.length - applied - retry.length,
      retry: retry.length,
      answers,
    }
  }
)
