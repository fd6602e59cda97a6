import type { Member } from '../../db/contract/index.ts'
import { isoAt, type Clock } from '../clock.ts'
import { INCARNATIONS, supersedes, type MemberUpdate } from './rules.ts'
import type { LogPosition } from '../replication/messages.ts'
import type { MemberStore } from './store.ts'

interface Pending {
  members: Member[]
  rejoin?: boolean
  resolve(applied: Member[]): void
  reject(err: Error): void
}

/** What this node has heard from a member itself, kept in memory only. */
export interface Contact {
  at: number
  rttMs?: number
}

/**
 * Something wrong with a member that its state does not say: its clock is too far from ours, or
 * its address answers as something other than a member of this network.
 */
export interface Problem {
  kind: 'clock-skew' | 'answer'
  text: string
  /** The member's incarnation when it was seen: an answer problem holds until it is news. */
  incarnation: number
}

/** A committed change of one member's row: memberlist's NotifyJoin, NotifyUpdate, NotifyLeave. */
export interface MemberChange {
  member: Member
  /** The row before, or undefined for a member new to this node. */
  previous: Member | undefined
}

/**
 * The peer list in memory, always equal to what is committed in the store: a change is written
 * there first and applied here only after its commit. Changes that arrive together are written in
 * one transaction.
 */
export class MemberView {
  private readonly rows = new Map<string, Member>()
  private readonly contacts = new Map<string, Contact>()
  private readonly problems = new Map<string, Problem>()
  private readonly queue: Pending[] = []
  private readonly listeners = new Set<(change: MemberChange) => void>()
  private writing = false

  /** Each member's log head, as it last said itself, and when. */
  private readonly heads = new Map<string, { head: LogPosition; at: number }>()

  constructor(
    private readonly store: MemberStore,
    readonly selfId: string,
    private readonly clock: Clock,
    /** This node's own log head, sent on everything it says of itself. */
    private readonly ownHead: () => LogPosition | undefined = () => undefined
  ) {}

  /** A member's head, from its own signed word (`from`); relayed heads are not taken. */
  noteHeads(updates: readonly MemberUpdate[], from: string | undefined): void {
    for (const update of updates) {
      if (update.head && update.id === from && from !== this.selfId) {
        const known = this.heads.get(from)?.head
        // Heads only move forward; an older word arriving late does not move it back.
        if (!known || update.head.events >= known.events) {
          this.heads.set(from, { head: update.head, at: this.clock.now() })
        }
      }
    }
  }

  headOf(id: string): { head: LogPosition; at: number } | undefined {
    return this.heads.get(id)
  }

  /**
   * Calls `listener` after each committed change of a row (this node's own included), with the
   * row and the one it replaced, in commit order and never two at once. Returns the unsubscribe.
   */
  onChange(listener: (change: MemberChange) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  load(rows: Member[]): void {
    // A number stored by an older version, beyond the space incarnations now live in, is read
    // as its place in that space (2^53 - 1 is 2^32 - 1): the next rise wraps it round to 0.
    for (const row of rows)
      this.rows.set(row.id, { ...row, incarnation: row.incarnation % INCARNATIONS })
  }

  forget(ids: string[]): void {
    for (const id of ids) {
      this.rows.delete(id)
      this.contacts.delete(id)
      this.problems.delete(id)
    }
  }

  get(id: string): Member | undefined {
    return this.rows.get(id)
  }

  get self(): Member {
    return this.rows.get(this.selfId) as Member
  }

  all(): Member[] {
    return [...this.rows.values()]
  }

  /** Other members in the given states. */
  others(...states: Member['state'][]): Member[] {
    return this.all().filter((m) => m.id !== this.selfId && states.includes(m.state))
  }

  heardFrom(id: string, rttMs?: number): void {
    const earlier = this.contacts.get(id)
    const smoothed =
      rttMs === undefined || earlier?.rttMs === undefined
        ? rttMs
        : earlier.rttMs * 0.8 + rttMs * 0.2
    this.contacts.set(id, { at: this.clock.now(), rttMs: smoothed ?? earlier?.rttMs })
  }

  /** Records a problem with a member this node knows (only those: the map stays bounded). */
  setProblem(id: string, problem: Problem): void {
    if (this.rows.has(id)) this.problems.set(id, problem)
  }

  /** Clears a member's problem (of one kind only, if given): an exchange with it went well. */
  clearProblem(id: string, kind?: Problem['kind']): void {
    if (kind === undefined || this.problems.get(id)?.kind === kind) this.problems.delete(id)
  }

  problem(id: string): Problem | undefined {
    return this.problems.get(id)
  }

  contact(id: string): Contact | undefined {
    return this.contacts.get(id)
  }

  heardAgoMs(id: string): number | undefined {
    const at = this.contacts.get(id)?.at
    return at === undefined ? undefined : this.clock.now() - at
  }

  /** The row as it travels: evidence time turned into an age. */
  toUpdate(member: Member): MemberUpdate {
    const { id, name, address, state, incarnation, evidenceAt } = member
    const update: MemberUpdate = { id, name, address, state, incarnation }
    const head = id === this.selfId ? this.ownHead() : undefined
    if (head) update.head = head
    if (evidenceAt) update.evidenceAgeMs = Math.max(0, this.clock.now() - Date.parse(evidenceAt))
    return update
  }

  /** A row for news as this node records it: the evidence's age turned back into a time. */
  toRow(update: MemberUpdate): Member {
    const { id, name, address, state, incarnation, evidenceAgeMs } = update
    const now = this.clock.now()
    // Never before 1970: an age the schema takes (up to 2^53 ms) would be no date at all, and
    // the news it came with would fail, and the rest of its message with it.
    const evidenceAt =
      state === 'suspect' || state === 'failed'
        ? isoAt(this.clock, Math.max(0, now - (evidenceAgeMs ?? 0)))
        : null
    return {
      id,
      name,
      address,
      state,
      incarnation,
      evidenceAt,
      stateChangedAt: isoAt(this.clock, now),
    }
  }

  /**
   * Commits changes and then applies them; resolves with the rows that were still news when
   * written (a concurrent change may have overtaken some). Rejects when the store is down.
   * `rejoin` is written with them: whether this node rejoins by itself at its next start.
   */
  commit(members: Member[], { rejoin }: { rejoin?: boolean } = {}): Promise<Member[]> {
    return new Promise((resolve, reject) => {
      this.queue.push({ members, rejoin, resolve, reject })
      void this.write()
    })
  }

  private async write(): Promise<void> {
    if (this.writing) return
    this.writing = true
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0)
        const next = new Map<string, Member>()
        const appliedBy = batch.map((pending) =>
          pending.members.filter((m) => {
            const current = next.get(m.id) ?? this.rows.get(m.id)
            // Only this node writes its own record (rise, refute, leave): its word is final.
            if (m.id !== this.selfId && !supersedes(m, current)) return false
            next.set(m.id, m)
            return true
          })
        )
        const rejoin = batch.findLast((p) => p.rejoin !== undefined)?.rejoin
        try {
          if (next.size > 0 || rejoin !== undefined) {
            await this.store.apply({ members: [...next.values()], rejoin })
          }
        } catch (err) {
          for (const pending of batch) pending.reject(err as Error)
          continue
        }
        const changes = [...next.values()].map((member) => {
          const previous = this.rows.get(member.id)
          this.rows.set(member.id, member)
          return { member, previous }
        })
        // Listeners see the whole batch applied (Membership.onChange keeps their errors theirs).
        for (const change of changes) for (const listener of this.listeners) listener(change)
        batch.forEach((pending, i) => pending.resolve(appliedBy[i]))
      }
    } finally {
      this.writing = false
    }
  }
}
