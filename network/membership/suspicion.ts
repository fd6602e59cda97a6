import type { Member } from '../../db/contract/index.ts'
import type { Clock, Timer } from '../clock.ts'
import { suspicionExpired } from './rules.ts'
import type { Timing } from './timing.ts'
import type { MemberView } from './view.ts'

export interface SuspicionDeps {
  view: MemberView
  clock: Clock
  timing: Pick<Timing, 'suspicionMs' | 'lateMs' | 'probeIntervalMs' | 'probeTimeoutMaxMs'>
  /** A suspect stayed silent for the whole period: fail it (its last word was at `lastWordAt`). */
  expired(suspect: Member, lastWordAt: number): void
}

/**
 * A timer on every suspect, and none on anyone else: a suspect that stays silent for
 * `suspicionMs` is failed, unless it refuted meanwhile, or this process was frozen (its timer
 * fired late), in which case it gets a fresh period rather than a verdict.
 */
export class Suspicions {
  /** Each suspect's timer, with the incarnation it was suspected at. */
  private readonly timers = new Map<string, { timer: Timer; incarnation: number }>()
  private running = false

  constructor(private readonly deps: SuspicionDeps) {}

  /**
   * Times every suspect in the view: those loaded at start and those left untimed by a stop (a
   * leave, then a join): a silent suspect is failed only by its timer (a probe round that finds
   * it silent changes nothing), so one left untimed would stay a suspect for good. A stored
   * suspicion is news to nobody: the suspect refutes it when this node's probe (which says it is
   * suspected) reaches it, and the detector probes them first. So their period is longer by a
   * probe round (an interval, a direct and an indirect probe at their longest) per suspect.
   */
  start(): void {
    this.running = true
    const { probeIntervalMs, probeTimeoutMaxMs } = this.deps.timing
    const members = this.deps.view.all()
    const suspects = members.filter((m) => m.state === 'suspect').length
    const roundsMs = suspects * (probeIntervalMs + 2 * probeTimeoutMaxMs)
    for (const member of members) this.track(member, roundsMs)
  }

  stop(): void {
    this.running = false
    for (const { timer } of this.timers.values()) this.deps.clock.clearTimeout(timer)
    this.timers.clear()
  }

  /** A member changed: time it if it is a suspect (`extraMs` longer), stop timing it otherwise. */
  track(member: Member, extraMs = 0): void {
    const { clock, timing, view } = this.deps
    const held = this.timers.get(member.id)
    // Suspected again at a newer incarnation (it refuted, then fell silent): a period of its own.
    if (member.state !== 'suspect' || (held && held.incarnation !== member.incarnation)) {
      clock.clearTimeout(held?.timer)
      this.timers.delete(member.id)
      if (member.state !== 'suspect') return
    } else if (held) return
    if (!this.running) return
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
    const { incarnation } = member
    this.timers.set(member.id, { timer: clock.setTimeout(expire, periodMs), incarnation })
  }
}
