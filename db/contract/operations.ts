// Every operation the worker executes, composed from the files of their resources.
import type { z } from 'zod'
import type { OpDescriptor } from './descriptor.ts'
import { accessOps } from './access.ts'
import { backupOps } from './backups.ts'
import { eventOps } from './events.ts'
import { grantOps } from './grants.ts'
import { itemOps } from './items.ts'
import { ledgerOps } from './ledger.ts'
import { memberOps } from './members.ts'
import { movementOps } from './movements.ts'
import { nodeOps } from './node.ts'
import { queueOps } from './queues.ts'
import { topicOps } from './topics.ts'
import { replicaOps } from './replicas.ts'
import { stockOps } from './stock.ts'
import { transferOps } from './transfers.ts'

/** Every operation, by name. */
export const OPS = {
  ...nodeOps,
  ...itemOps,
  ...stockOps,
  ...movementOps,
  ...ledgerOps,
  ...memberOps,
  ...eventOps,
  ...replicaOps,
  ...transferOps,
  ...accessOps,
  ...backupOps,
  ...queueOps,
  ...topicOps,
  ...grantOps,
} satisfies Record<string, OpDescriptor>

type Descriptors = typeof OPS

/** Every operation, by name: what it takes and what it returns. */
export type Operations = {
  [O in keyof Descriptors]: {
    payload: z.input<Descriptors[O]['payload']>
    result: Exclude<Descriptors[O]['result'], undefined>
  }
}

export type OpName = keyof Operations
export type Payload<O extends OpName> = Operations[O]['payload']
export type Result<O extends OpName> = Operations[O]['result']

/** Operations that change the database, as their descriptors declare. */
export const WRITE_OPS: ReadonlySet<OpName> = new Set(
  (Object.keys(OPS) as OpName[]).filter((op) => OPS[op].kind === 'write')
)
