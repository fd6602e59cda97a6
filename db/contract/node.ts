import { nothing, read } from './descriptor.ts'

export interface NodeInfo {
  id: string
  name: string
  counts: { items: number; movements: number }
  database: { file: string; sqliteVersion: string; journalMode: string; synchronous: string }
}

/** The worker's figures for GET /metrics. */
export interface WorkerFigures {
  /** Its batches (size, time, commit time) and its process, in Prometheus's text format. */
  text: string
  /** Transfer messages not yet delivered, per destination node (those with any). */
  outbox: { peer: string; pending: number }[]
  /** Each queue's messages by state, as GET /queues counts them. */
  queues?: { name: string; ready: number; delayed: number; inFlight: number; deadLetters: number }[]
  /** Each subscription's messages missed because it was full (GET /topics' `missed`). */
  subscriptions?: { name: string; missed: number }[]
}

export const nodeOps = {
  'node.info': read(nothing).returns<NodeInfo>(),
  /** Answers when the worker does and the data tables are there (SCHEMA_MISSING otherwise). */
  'node.ping': read(nothing).returns<{ pong: true }>(),
  /** The worker's figures for the runtime's GET /metrics. */
  'node.metrics': read(nothing).returns<WorkerFigures>(),
}
