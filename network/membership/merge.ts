import type { Logger } from 'pino'
import type { Member } from '../../db/contract/index.ts'
import { isoAt, type Clock } from '../clock.ts'
import { judge, newer, nextIncarnation, type MemberUpdate } from './rules.ts'
import type { MemberView } from './view.ts'

export interface MergerDeps {
  view: MemberView
  clock: Clock
  log: Logger
  /** True while this node is out of the network (leaving, or left). */
  leaving(): boolean
  /** Queues news for the other members. */
  spread(members: Member[]): void
  /** The failure detector's part in news: accusations to check first, suspects to time. */
  detector: { verify(accusation: MemberUpdate): void; track(member: Member): void }
  /**
   * News that this node's own id is alive at another address, newer than its own word: another
   * process runs under this id (a frozen node restored elsewhere, then thawed; a data directory
   * copied).
   */
  impostor?(claim: { address: string; incarnation: number; from?: string }): void
}

/**
 * Turns news into committed rows (SWIM's merge, by the rules in rules.ts), and acts on them once
 * committed: suspicion timers, a log line, news for the others. This node's own record changes
 * here too, one change at a time, so that a refutation builds on a rise or a leave it races.
 */
export class Merger {
  private selfWrites: Promise<unknown> = Promise.resolve()

  constructor(private readonly deps: MergerDeps) {}

  /**
   * Commits what is news, then spreads it (unless `spread` is false: the sender told everyone
   * itself); wrong news about this node is refuted. `from` is the node whose signed word this is:
   * only news about itself may move its incarnation far.
   */
  async merge(
    updates: MemberUpdate[],
    { from, spread = true }: { from?: string; spread?: boolean } = {}
  ): Promise<Member[]> {
    const { view, log, detector } = this.deps
    const rows: Member[] = []
    let refuteAt: number | undefined
    const judgedAt = view.self.incarnation
    for (const update of updates) {
      // Alive, newer than this node's own word, elsewhere: what another process running under
      // this id says of itself (a failed or stale record of a former address is no such word).
      if (
        update.id === view.selfId &&
        update.address !== view.self.address &&
        update.state === 'alive' &&
        newer(update.incarnation, judgedAt)
      ) {
        this.deps.impostor?.({ address: update.address, incarnation: update.incarnation, from })
      }
      const verdict = judge(update, {
        selfId: view.selfId,
        selfIncarnation: judgedAt,
        leaving: this.deps.leaving(),
        from,
        current: (id) => rows.find((r) => r.id === id) ?? view.get(id),
        heardAgoMs: (id) => view.heardAgoMs(id),
      })
      if (verdict.kind === 'accept') rows.push(view.toRow(verdict.member))
      if (
        verdict.kind === 'refute' &&
        (refuteAt === undefined || newer(verdict.incarnation, refuteAt))
      )
        refuteAt = verdict.incarnation
      if (verdict.kind === 'verify') detector.verify(update)
      if (verdict.kind === 'bogus')
        log.warn({ from, news: update }, `bogus news refused: it ${verdict.reason}`)
    }
    const applied = await this.apply(rows, { spread })
    if (refuteAt !== undefined) applied.push(...(await this.refute(refuteAt, judgedAt)))
    return applied
  }

  /** Commits rows decided here (a verdict of the detector), then acts on them. */
  async apply(rows: Member[], { spread = true }: { spread?: boolean } = {}): Promise<Member[]> {
    if (rows.length === 0) return []
    return this.acted(await this.deps.view.commit(rows), spread)
  }

  /**
   * Changes this node's own record, one change at a time: each is made from the record as
   * committed when its turn comes, so a rise, a refutation and a leave that race each other
   * (a join answered while news of it arrives) build on each other instead of undoing each other.
   */
  writeSelf(
    change: (current: Member | undefined) => Member,
    options: { rejoin?: boolean } = {}
  ): Promise<Member[]> {
    const { view } = this.deps
    const write = this.selfWrites.then(() => view.commit([change(view.get(view.selfId))], options))
    this.selfWrites = write.catch(() => undefined)
    return write
  }

  // Alive again at a newer incarnation; or, if this node is out, left at one. Should this node
  // have risen, left or refuted meanwhile, the refutation builds on that.
  private async refute(at: number, judgedAt: number): Promise<Member[]> {
    const refuted = await this.writeSelf((current) => {
      const self = current as Member
      const moved = self.incarnation !== judgedAt && !newer(at, self.incarnation)
      return {
        ...self,
        state: self.state === 'left' ? 'left' : 'alive',
        incarnation: moved ? nextIncarnation(self.incarnation) : at,
        evidenceAt: null,
        stateChangedAt: isoAt(this.deps.clock),
      }
    })
    // The accuser hears the refutation too: it goes to every member.
    return this.acted(refuted, true)
  }

  private acted(applied: Member[], spread: boolean): Member[] {
    const { view, log, detector } = this.deps
    for (const member of applied) {
      if (member.id !== view.selfId) detector.track(member)
      log.info(
        {
          member: member.id,
          // Not `name`: pino-pretty would print it as the logger's name.
          memberName: member.name,
          state: member.state,
          incarnation: member.incarnation,
        },
        `member ${member.state}`
      )
    }
    if (spread) this.deps.spread(applied)
    return applied
  }
}
