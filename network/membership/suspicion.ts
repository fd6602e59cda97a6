import type { Member } from '../../db/contract/index.ts'
import type { Clock, Timer } from '../clock.ts'
import { suspicionExpired } from './rules.ts'
import type { Timing } from './timing.ts'
import type { MemberView } from './view.ts'

export interface SuspicionDeps {
  view: MemberView
  clock: Clock
  timing: Pick<Timing, 'suspicionMs' | 'lateMs' | 'probeIntervalMs'>
  /** A suspect stayed silent for the whole period: fail it (its last word was at `lastWordAt`). */
  expired(suspect: Member, lastWordAt: number): void
}

/**
 * A timer on every suspect, and none on anyone else: a suspect that stays silent for
 * `suspicionMs` is failed, unless it refuted meanwhile, or this process was frozen (its timer
 * fired late), in which case it gets a fresh period rather than a verdict.
 */
export class Suspicions {
  private readonly timers = new Map<string, Timer>()
  private running = false

  constructor(private readonly deps: SuspicionDeps) {}

  /**
   * Times every suspect in the view: those loaded at start and those left untimed by a stop (a
   * leave, then a join): a silent suspect is failed only by its timer (a probe round that finds
   * it silent changes nothing), so one left untimed would stay a suspect for good. Their period
   * is longer by a round of probes over every member: a stored suspicion is news to nobody, and
   * the suspect refutes it when this node's probe (which says it is suspected) reaches it.
   */
  start(): void {
    this.running = true
    const members = this.deps.view.all()
    const roundMs = members.length * this.deps.timing.probeIntervalMs
    for (const member of members) this.track(member, roundMs)
  }

  stop(): void {
    this.running = false
    for (const timer of this.timers.values()) this.deps.clock.clearTimeout(timer)
    this.timers.clear()
  }

  /** A member changed: time it if it is a suspect (`extraMs` longer), stop timing it otherwise. */
  track(member: Member, extraMs = 0): void {
    const { clock, timing, view } = this.deps
    const timer = this.timers.get(member.id)
    if (member.state !== 'suspect') {
      clock.clearTimeout(timer)
      this.timers.delete(member.id)
      return
    }
    if (timer || !this.running) return
    const periodMs = timing.suspicionMs + extraMs
    const due = clock.now() + periodMs
    const expire = () => {
      this.timers.delete(member.id)
      const now = view.get(member.id)
      const verdict = suspicionExpired({
        firedLateMs: clock.now() - due,
        lateMs: timing.lateMs,
        stillSuspectAtSameIncarnation:
          this.running && now?.state === 'suspect' && now.incarnation === member.incarnation,
      })
      if (!now || verdict === 'drop') return
      if (verdict === 'rearm') return this.track(now)
      const lastWord =
        view.contact(now.id)?.at ?? (now.evidenceAt ? Date.parse(now.evidenceAt) : clock.now())
      this.deps.expired(now, lastWord)
    }
    this.timers.set(member.id, clock.setTimeout(expire, periodMs))
  }
}
