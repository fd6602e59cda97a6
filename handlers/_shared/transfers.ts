// What the transfer routes share: the other warehouse named by a person (a node id or a member's
// name) resolved against the membership, and the transfer id of the path.
import { transferId } from '../../api/index.ts'
import { HttpError, validate, type Ctx, type HandlerRequest } from '../../runtime/index.ts'
import { memberNamed } from './members.ts'

export interface Warehouse {
  id: string
  name: string
}

/**
 * The member `given` names (its node id, or its name in any case), never this node. `field` is
 * the body's field, for the refusal. A member that is down, or stopped (a stopped node has left
 * until it starts again), is fine: a message to it waits in the outbox. Members that left long
 * ago are forgotten by the membership, and are then unknown.
 */
export function member(ctx: Ctx, given: string, field: 'to' | 'from'): Warehouse {
  if (!ctx.membership.opened) throw new HttpError('NOT_READY', 'This node is still starting')
  const self = ctx.node
  const wanted = given.toLowerCase()
  if (wanted === self.id.toLowerCase() || wanted === self.name.toLowerCase()) {
    throw new HttpError(
      'INVALID_DESTINATION',
      field === 'to'
        ? `${given} is this warehouse: a transfer goes to another one`
        : `${given} is this warehouse: a transfer comes from another one`,
      { details: [{ path: field, message: 'is this warehouse itself' }] }
    )
  }
  const { members } = ctx.membership.snapshot()
  const current = members.filter((m) => m.id !== self.id)
  const { member: found, sameName } = memberNamed(current, given)
  if (!found) {
    const why =
      sameName > 1
        ? `names ${sameName} warehouses: give the node id`
        : 'is not a warehouse of this network'
    throw new HttpError('UNKNOWN_DESTINATION', `${given} ${why} (GET /members lists them)`, {
      details: [{ path: field, message: why }],
    })
  }
  return { id: found.id, name: found.name }
}

/** The transfer id of the path (a UUID in lower case: see transferId). */
export function idOf(request: HandlerRequest): string {
  return validate(transferId, request.params.id, 'transfer id in the path')
}
