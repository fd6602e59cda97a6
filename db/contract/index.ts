/**
 * The contract between the runtime (handlers) and the DB worker: every operation the worker
 * executes, declared in the file of its resource with whether it reads or writes, the payload it
 * admits (a zod schema) and its result type; and the envelopes that carry them (envelope.ts).
 *
 * The list only grows. A breaking change to an operation gets a new name or a new
 * `PROTOCOL_VERSION`, never an edit in place: tests/db/contract.test.ts holds every operation's
 * name, kind and payload shape, and fails when one changes.
 */
import type { z } from 'zod'
import type { OpDescriptor } from './envelope.ts'
import { eventOps } from './events.ts'
import { itemOps } from './items.ts'
import { ledgerOps } from './ledger.ts'
import { memberOps } from './members.ts'
import { movementOps } from './movements.ts'
import { nodeOps } from './node.ts'
import { stockOps } from './stock.ts'

export * from './envelope.ts'
export type * from './events.ts'
export type * from './items.ts'
export type * from './ledger.ts'
export { MEMBER_STATES, type Member, type MemberState } from './members.ts'
export type * from './movements.ts'
export type * from './node.ts'
export type * from './stock.ts'

/** Every operation, by name. */
export const OPS = {
  ...nodeOps,
  ...itemOps,
  ...stockOps,
  ...movementOps,
  ...ledgerOps,
  ...memberOps,
  ...eventOps,
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
