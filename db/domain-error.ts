import type { ErrorCode } from './contract/index.ts'

/**
 * A refusal decided by an operation (unknown SKU, not enough stock…). Its code and message cross
 * the socket; anything else an operation throws is a fault and becomes INTERNAL.
 */
export class DomainError extends Error {
  readonly code: ErrorCode
  readonly details?: unknown

  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(message)
    this.name = 'DomainError'
    this.code = code
    this.details = details
  }
}

export function itemNotFound(sku: string, path = 'sku'): DomainError {
  return new DomainError('NOT_FOUND', `No item with SKU ${sku}`, [
    { path, message: `no item with SKU ${sku}` },
  ])
}
