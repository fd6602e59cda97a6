import type { ErrorCode } from '../api/index.ts'
import { ProtocolError, type ProtocolCode } from '../network/index.ts'
import { HttpError } from './errors.ts'

// Every code the peer protocol raises has its status in the one catalogue (api/errors.ts): a
// protocol code missing there does not compile.
const CATALOGUED: ProtocolCode extends ErrorCode ? true : never = true

/** A protocol refusal as the HTTP error it is answered with; any other error unchanged. */
export function httpErrorOf(err: unknown): unknown {
  if (!(err instanceof ProtocolError) || !CATALOGUED) return err
  return new HttpError(err.code, err.message, { details: err.details })
}
