// The four ways a client call can end badly, each with its own exit code, so that scripts can tell
// "the node said no" from "I typed it wrong" from "nobody answered".
import type { ErrorCode } from '../api/index.ts'

/** A refusal's code: one of the node's (api/errors.ts), or HTTP_<status> for an answer without one. */
export type RefusalCode = ErrorCode | `HTTP_${number}`

/** The node answered and refused (4xx) or failed (500): `message` is the node's own sentence. */
export class NodeRefusal extends Error {
  readonly status: number
  readonly code: RefusalCode
  readonly details?: unknown

  constructor(status: number, code: RefusalCode, message: string, details?: unknown) {
    super(message)
    this.name = 'NodeRefusal'
    this.status = status
    this.code = code
    this.details = details
  }
}

/** How a node that could not be reached is said (NodeUnreachable). */
export type Unreachable = 'busy' | 'untrusted' | 'https' | 'silent' | 'proxy'

/**
 * The node could not be reached, or did not answer after every retry (network error, timeout,
 * 503, 504). For a write, the outcome is unknown: `key` is the Idempotency-Key that was sent, so
 * the same request can be retried safely.
 */
export class NodeUnreachable extends Error {
  readonly url: string
  readonly reason: string
  readonly key?: string
  /**
   * A change sent with no key that cannot be sent twice (a token made, a backup taken), whose
   * outcome is unknown: what to look at before asking again.
   */
  readonly unconfirmed?: string

  /**
   * `why`: busy, it answered 503/504; untrusted, its TLS certificate was refused; https, an
   * http:// URL where the node serves HTTPS only; silent, nothing came back in time (whether
   * anything listens there is not known: a node overloaded, paused or cut off looks the same);
   * proxy, something in front of the node answered a 5xx of its own (its node away or gone).
   */
  constructor(url: string, reason: string, key?: string, why?: Unreachable, unconfirmed?: string) {
    super(
      why === 'busy'
        ? `The almacen node at ${url} is up but did not answer (${reason}). Try again in a moment.`
        : why === 'untrusted'
          ? `Cannot talk to the almacen node at ${url} safely: ${reason}.`
          : why === 'https'
            ? `The almacen node at ${url} serves HTTPS only (plain HTTP: ${reason}): use ${url.replace(/^http:/, 'https:')}`
            : why === 'silent'
              ? `The almacen node at ${url} did not answer (${reason}): it may be overloaded, paused or cut off from here.`
              : why === 'proxy'
                ? `The almacen node at ${url} did not answer: what stands in front of it answered ${reason}. Is the node running behind it?`
                : `Cannot reach the almacen node at ${url} (${reason}). Is it running? (npm start)`
    )
    this.name = 'NodeUnreachable'
    this.url = url
    this.reason = reason
    this.key = key
    this.unconfirmed = unconfirmed
  }
}

/**
 * What was named is not there, as the node's answers show (the client asked, and judged them
 * itself): a refusal, as the node's own NOT_FOUND would be (exit 1), not a usage error.
 */
export class NotThere extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'NotThere'
  }
}

/** What was printed never reached its reader (a closed pipe): what depended on it not done (exit 1). */
export class OutputClosed extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'OutputClosed'
  }
}

/**
 * A file on this machine could not be written or read (a download's target in a folder that is
 * not there, a full disk): the node is not at fault, and is not said to be (exit 1).
 */
export class LocalFileError extends Error {
  constructor(file: string, err: NodeJS.ErrnoException) {
    // Node's own sentence starts with the code ("ENOSPC: no space left on device, write").
    const said = err.code && !err.message.startsWith(err.code) ? `${err.code} ` : ''
    super(`Cannot write ${file} on this machine: ${said}${err.message}`)
    this.name = 'LocalFileError'
  }
}

/** Codes only a file system gives, which a write's error carries with no path (a full disk). */
const FILE_SYSTEM = new Set(['ENOSPC', 'EDQUOT', 'EFBIG', 'EROFS'])

/** An error of the file system (it names the path, or is a full disk's), not of the network. */
export function isFileError(err: unknown): err is NodeJS.ErrnoException {
  const e = err as NodeJS.ErrnoException
  return typeof e?.path === 'string' || FILE_SYSTEM.has(e?.code ?? '')
}

/** Bad arguments on the command line, found before anything is sent. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'UsageError'
  }
}

/** The person pressed Ctrl-C or Esc in a prompt: go back one level. */
export class Cancelled extends Error {
  constructor() {
    super('cancelled')
    this.name = 'Cancelled'
  }
}

/**
 * Ctrl-C while waiting on the node: the call was given up, and the menus go back. For a change
 * (`unconfirmed`), it may have reached the node, so whether it was applied is unknown; `key` is
 * the Idempotency-Key it was sent with, if any.
 */
export class Interrupted extends Cancelled {
  readonly unconfirmed: boolean
  readonly key?: string

  constructor(unconfirmed: boolean, key?: string) {
    super()
    this.name = 'Interrupted'
    this.unconfirmed = unconfirmed
    this.key = key
  }
}

/** 130: ended by Ctrl-C (SIGINT), as shells report it. */
export const EXIT = { ok: 0, refused: 1, usage: 2, unreachable: 3, interrupted: 130 } as const

/** The exit code for an error thrown by a one-shot command. */
export function exitCodeFor(err: unknown): number {
  if (err instanceof UsageError) return EXIT.usage
  if (err instanceof Interrupted) return EXIT.interrupted
  if (err instanceof NodeUnreachable) return EXIT.unreachable
  return EXIT.refused
}

/** OpenSSL's verify errors and Node's name check: the node's certificate was not believed. */
export function isCertificateError(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code
  return (
    (typeof code === 'string' && /CERT|SELF_SIGNED|ISSUER|VERIFY/.test(code)) || speaksNoTls(err)
  )
}

/** An https:// URL to something that answered in plain text: OpenSSL's "wrong version number". */
function speaksNoTls(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown }
  return (
    e?.code === 'ERR_SSL_WRONG_VERSION_NUMBER' ||
    (e?.code === 'EPROTO' && /wrong version number/.test(String(e.message)))
  )
}

/** What answers a request to a TLS server over plain HTTP, as to a node that died mid-answer. */
export const HUNG_UP = 'connection closed before the answer'

/** Why a request failed, in a few words a person can act on ("connection refused"). */
export function networkReason(err: unknown): string {
  const e = err as { code?: string; message?: string }
  if (speaksNoTls(err)) {
    return 'what answers there does not speak HTTPS; for a node that serves plain HTTP, use an http:// URL'
  }
  if (isCertificateError(err)) {
    return `its TLS certificate is not trusted: ${e.message}; give the CA that signed it with --ca or ALMACEN_CA`
  }
  if (e?.code === 'ECONNRESET' && e.message === 'socket hang up') return HUNG_UP
  const reasons: Record<string, string> = {
    ECONNREFUSED: 'connection refused',
    ENOTFOUND: 'host not found',
    EAI_AGAIN: 'host name lookup failed',
    EHOSTUNREACH: 'host unreachable',
    ENETUNREACH: 'network unreachable',
    ECONNRESET: 'connection reset',
    EPIPE: 'connection closed',
    ETIMEDOUT: 'connection timed out',
  }
  return reasons[e?.code ?? ''] ?? e?.message ?? String(err)
}
