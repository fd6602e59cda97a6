/**
 * The protocol's clock. A killed node is refused at once, so a refusal (confirmed by a peer) fails
 * it within a probe round; silence (a cut cable, a frozen process) only makes it a suspect, and
 * it fails after `suspicionMs` without a word: long enough for a 5 s freeze to pass unpunished
 * (a suspicion starts at least a probe timeout and an indirect round into the silence), short
 * enough that a node cut off is failed by everyone within 10 s.
 */
export interface Timing {
  /** Each node probes one member this often (round robin). */
  probeIntervalMs: number
  /** Bounds of the adaptive probe timeout (a multiple of the measured round trip). */
  probeTimeoutMinMs: number
  probeTimeoutMaxMs: number
  /** Members asked to probe a target this node could not reach. */
  indirectChecks: number
  /** How long a suspect has to refute before it is failed. */
  suspicionMs: number
  /** A failed member is probed again (to notice it is back) this often, one per tick. */
  reconnectIntervalMs: number
  /** Full-state exchange with one random member this often. */
  syncIntervalMs: number
  /** A timer that fires this late means the process was frozen: its verdict does not count. */
  lateMs: number
  /** How long a leave waits for every member to acknowledge it. */
  leaveDeadlineMs: number
  /** How long a join waits for an answer; a failed join through an address takes this long. */
  joinTimeoutMs: number
  reapLeftMs: number
  reapFailedMs: number
  reapIntervalMs: number
}

export const DEFAULT_TIMING: Timing = {
  probeIntervalMs: 700,
  probeTimeoutMinMs: 600,
  probeTimeoutMaxMs: 1500,
  indirectChecks: 3,
  suspicionMs: 5000,
  reconnectIntervalMs: 1000,
  syncIntervalMs: 5000,
  lateMs: 1000,
  leaveDeadlineMs: 2000,
  joinTimeoutMs: 3000,
  reapLeftMs: 24 * 3600_000,
  reapFailedMs: 72 * 3600_000,
  reapIntervalMs: 60_000,
}
