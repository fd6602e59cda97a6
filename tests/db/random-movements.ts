// Random movements for property tests, from a seed, so that a failing case can be replayed.
import type { MovementInput } from '../../db/contract/index.ts'

export { random } from '../../bench/seed.ts'

/** A movement of A, B or an unknown item, of any kind and size; sometimes with text. */
export function randomInput(next: () => number): MovementInput {
  const sku = ['A', 'B', 'GHOST'][Math.floor(next() * 3)]
  const n = Math.floor(next() * 30)
  const roll = next()
  const text = next() < 0.2 ? { reference: `R-${n}`, note: 'ñ "quoted"' } : {}
  if (roll < 0.35) return { type: 'receipt', sku, quantity: n + 1, ...text }
  if (roll < 0.7) return { type: 'issue', sku, quantity: n + 1, ...text }
  if (roll < 0.85) return { type: 'adjustment', sku, countedQuantity: n, ...text }
  return { type: 'adjustment', sku, delta: n - 15, ...text }
}
