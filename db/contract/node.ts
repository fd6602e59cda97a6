import { nothing, read } from './descriptor.ts'

export interface NodeInfo {
  id: string
  name: string
  counts: { items: number; movements: number }
  database: { file: string; sqliteVersion: string; journalMode: string; synchronous: string }
}

export const nodeOps = {
  'node.info': read(nothing).returns<NodeInfo>(),
  /** Answers when the worker does and the data tables are there (SCHEMA_MISSING otherwise). */
  'node.ping': read(nothing).returns<{ pong: true }>(),
}
