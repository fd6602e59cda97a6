/**
 * Incarnations are integers in [0, 2^32), compared as serial numbers (RFC 1982, like TCP's
 * sequence numbers): `a` is newer than `b` when it is less than half the space ahead of it,
 * counting round the end. A node at 2^32 - 1 that must rise goes to 0, and everyone takes that as
 * newer, so no number said about a node can put it out of reach of its own next word.
 */
export const INCARNATIONS = 2 ** 32
/** Half the space: a number this far ahead is neither newer nor older. */
export const HALF = INCARNATIONS / 2

/** How far `a` is ahead of `b`, counting round the end of the space: 0 to 2^32 - 1. */
export function incarnationsAhead(a: number, b: number): number {
  return (((a - b) % INCARNATIONS) + INCARNATIONS) % INCARNATIONS
}

/** Whether incarnation `a` is newer than `b` (serial-number arithmetic). */
export function newer(a: number, b: number): boolean {
  const ahead = incarnationsAhead(a, b)
  return ahead > 0 && ahead < HALF
}

/** The incarnation after `a`: 2^32 - 1 is followed by 0. */
export function nextIncarnation(a: number): number {
  return (a + 1) % INCARNATIONS
}
