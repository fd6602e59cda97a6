// Random movements for property tests, from a seed, so that a failing case can be replayed.
import type { MovementInput } from '../../db/contract/index.ts'

/** A small deterministic generator (mulberry32). */
export function random(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let x = Math.imul(a ^ (a >>> 15), 1 | a)
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}

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
