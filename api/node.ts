// The node itself: GET /health (liveness) and GET /node (identity).
import type { LedgerStatus } from './ledger.ts'

/** GET /health: 200 `ok` or `degraded` (writes halted, reads served), 503 `unavailable`. */
export type Health =
  | { status: 'ok' | 'degraded'; worker: { ok: true; ms: number }; ledger: LedgerStatus }
  | { status: 'unavailable'; worker: { ok: false; error: string } }

/** GET /node: who this node is, how long it has run, and what its database holds. */
export interface NodeInfo {
  id: string
  name: string
  version: string
  startedAt: string
  uptimeSeconds: number
  counts: { items: number; movements: number }
  database: { file: string; sqliteVersion: string; journalMode: string; synchronous: string }
}
