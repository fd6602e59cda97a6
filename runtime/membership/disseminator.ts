import type { Member } from '../../db/contract.ts'
import type { GossipMessage } from './messages.ts'
import type { PeerClient } from './peer-client.ts'
import type { MemberUpdate } from './rules.ts'
import type { MemberView } from './view.ts'

/** News younger than this rides along on probes and their answers. */
const PIGGYBACK_MS = 30_000
const PIGGYBACK_MAX = 8
/** A gossip message that could not be delivered is tried again this many times, then left to sync. */
const ATTEMPTS = 3

/**
 * Spreads membership news: each change goes straight to every other live member (the networks
 * here are small), coalesced into one message per peer every few milliseconds, retried a few
 * times; the periodic sync repairs whatever is still missed.
 */
export class Disseminator {
  private readonly outbox = new Map<string, Map<string, number>>()
  private readonly recent = new Map<string, number>()
  private timer: NodeJS.Timeout | null = null

  constructor(
    private readonly view: MemberView,
    private readonly client: PeerClient,
    private readonly timeoutMs: () => number
  ) {}

  /** Queues news about these members for every other live member except `except`. */
  spread(members: Member[], except?: string): void {
    const targets = this.view.others('alive', 'suspect')
    for (const member of members) {
      this.recent.delete(member.id) // keep the map in order of the latest news
      this.recent.set(member.id, Date.now())
      for (const target of targets) {
        if (target.id === except) continue
        const queued = this.outbox.get(target.id) ?? new Map<string, number>()
        queued.set(member.id, 0)
        this.outbox.set(target.id, queued)
      }
    }
    this.schedule(5)
  }

  /** Recent news, to ride along on a probe or its answer. */
  piggyback(): MemberUpdate[] {
    const since = Date.now() - PIGGYBACK_MS
    const updates: MemberUpdate[] = []
    for (const [id, at] of [...this.recent].reverse()) {
      if (at < since) this.recent.delete(id)
      const member = this.view.get(id)
      if (at >= since && member && updates.length < PIGGYBACK_MAX)
        updates.push(this.view.toUpdate(member))
    }
    return updates
  }

  /** Sends news to every other live member and waits for each to acknowledge, retrying until the deadline. */
  async announce(
    members: Member[],
    deadlineMs: number
  ): Promise<{ acked: string[]; missed: string[] }> {
    const deadline = Date.now() + deadlineMs
    const message = (): GossipMessage => ({
      from: this.view.toUpdate(this.view.self),
      updates: members.map((m) => this.view.toUpdate(m)),
    })
    const targets = this.view.others('alive', 'suspect')
    const results = await Promise.all(
      targets.map(async (target) => {
        while (Date.now() < deadline) {
          const left = Math.max(50, deadline - Date.now())
          const sent = await this.client.post(
            target.address,
            '/peer/gossip',
            message(),
            Math.min(left, this.timeoutMs())
          )
          if (sent.ok) return true
          if (sent.reason === 'refused' || sent.reason === 'unauthorized') return false
        }
        return false
      })
    )
    return {
      acked: targets.filter((_, i) => results[i]).map((t) => t.id),
      missed: targets.filter((_, i) => !results[i]).map((t) => t.id),
    }
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    this.outbox.clear()
  }

  private schedule(delayMs: number): void {
    this.timer ??= setTimeout(() => {
      this.timer = null
      void this.flush()
    }, delayMs)
  }

  private async flush(): Promise<void> {
    const batches = [...this.outbox]
    this.outbox.clear()
    await Promise.all(
      batches.map(async ([targetId, queued]) => {
        const target = this.view.get(targetId)
        if (!target || target.state === 'left' || target.state === 'failed') return
        const updates = [...queued.keys()].flatMap((id) => {
          const member = this.view.get(id)
          return member ? [this.view.toUpdate(member)] : []
        })
        const message: GossipMessage = { from: this.view.toUpdate(this.view.self), updates }
        const sent = await this.client.post(
          target.address,
          '/peer/gossip',
          message,
          this.timeoutMs()
        )
        if (sent.ok) return this.view.heardFrom(targetId)
        for (const [id, attempts] of queued) {
          if (attempts + 1 >= ATTEMPTS) continue
          const again = this.outbox.get(targetId) ?? new Map<string, number>()
          if (!again.has(id)) again.set(id, attempts + 1)
          this.outbox.set(targetId, again)
        }
        this.schedule(200)
      })
    )
  }
}
