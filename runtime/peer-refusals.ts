import { ProtocolError, type ProtocolCode } from '../network/index.ts'
import { HttpError } from './errors.ts'

/**
 * How the peer protocol's refusals read over HTTP: the network raises ProtocolErrors with a code,
 * and this one table gives each its status (a code missing here does not compile).
 */
const STATUS: Record<ProtocolCode, number> = {
  BAD_REQUEST: 400,
  UNAUTHENTICATED: 401,
  CLOCK_SKEW: 401,
  WRONG_NODE: 409,
  REPLAYED: 409,
  NOT_A_MEMBER: 409,
  TOO_EARLY: 425,
  BUSY: 503,
  NOT_READY: 503,
}

/** A protocol refusal as the HTTP error it is answered with; any other error unchanged. */
export function httpErrorOf(err: unknown): unknown {
  if (!(err instanceof ProtocolError)) return err
  return new HttpError(STATUS[err.code], err.code, err.message, err.details)
}
