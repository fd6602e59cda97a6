import type { Logger } from 'pino'
import {
  ANY_RECEIVER,
  describeSkew,
  type PeerOutcome,
  type TransportEvents,
} from '../transport/transport.ts'
import { NOT_A_MEMBER } from './joining.ts'
import type { MemberView } from './view.ts'

/** How often a request with a key this node lacks is said again (in all). */
const UNKNOWN_KEY_EVERY_MS = 15 * 60_000

export interface EvidenceDeps {
  view: MemberView
  log: Logger
  /** False before the peer list is loaded, and while this node is out of the network. */
  listening(): boolean
  /** Probes a member out of turn: now, or at most one probe interval from now (detector.ts). */
  checkSoon(id: string): void
}

/**
 * What the transport's evidence means to the membership: a closed connection is worth a probe
 * now; a peer's clock too far from ours, or an address that answers as something else, is a
 * problem shown with the member (GET /members) and logged once, until an exchange goes well.
 */
export class Evidence implements TransportEvents {
  /** When a request with a key this node lacks was last said, and how many came since. */
  private unknownKeySaid: number | undefined
  private unknownKeysSince = 0

  constructor(private readonly deps: EvidenceDeps) {}

  /**
   * A connection to or from a member closed from its side: a crashed process closes them all at
   * once, so look soon rather than at the next probe round (now, unless it was looked at out of
   * turn less than a probe interval ago).
   */
  lost(which: { id?: string; address?: string }): void {
    const { view } = this.deps
    if (!this.deps.listening()) return
    const member = which.id
      ? view.get(which.id)
      : view.all().find((m) => m.address === which.address)
    if (
      member &&
      member.id !== view.selfId &&
      (member.state === 'alive' || member.state === 'suspect')
    ) {
      this.deps.checkSoon(member.id)
    }
  }

  /** How a call to a member ended: a problem with it is recorded, and cleared once it answers well. */
  answered(to: string, outcome: PeerOutcome<unknown>): void {
    if (to === ANY_RECEIVER) return
    if (outcome.ok) return this.deps.view.clearProblem(to)
    if (outcome.reason === 'clock-skew') {
      const skew = outcome.skewMs === undefined ? 'too far from' : describeSkew(-outcome.skewMs)
      this.troubled(to, 'clock-skew', `clock is ${skew} this node's`)
    }
    if (outcome.reason === 'bogus' || outcome.reason === 'wrong-node') {
      this.troubled(to, 'answer', `its address ${NOT_A_MEMBER}: ${outcome.message}`)
    }
  }

  /** A member's signed request came with its clock this far behind ours (negative: ahead). */
  skewed(sender: string, skewMs: number): void {
    this.troubled(sender, 'clock-skew', `clock is ${describeSkew(skewMs)} this node's`)
  }

  /**
   * A request that says it comes from a member names a cluster key this node lacks: this node or
   * that member missed a key rotation (down, or restored with an old key), and until the one
   * behind installs the network's key the two refuse each other. Said at error level at most once
   * a quarter of an hour in all, with how many more came meanwhile: nothing checked it, and a
   * stranger may send any key id in any member's name.
   */
  unknownKey(sender: string, keyId: string, held: string[]): void {
    const member = this.deps.view.get(sender)
    if (!member) return
    const now = performance.now()
    if (this.unknownKeySaid !== undefined && now - this.unknownKeySaid < UNKNOWN_KEY_EVERY_MS) {
      this.unknownKeysSince++
      return
    }
    const more = this.unknownKeysSince
    this.unknownKeySaid = now
    this.unknownKeysSince = 0
    this.deps.log.error(
      { member: sender, memberName: member.name, keyId, held, more },
      `a request that says it comes from ${member.name} names cluster key ${keyId}, which this node does not hold (it holds ${held.join(', ') || 'none'}): this node or ${member.name} missed a key rotation. Compare GET /keys on both; stop the one behind, delete its keyring.json, and start it with ALMACEN_CLUSTER_KEY set to the network's current key${more ? `; ${more} more such requests since this was last said` : ''}`
    )
  }

  /** Records a problem with a member, in its list entry and (once) in the log. */
  private troubled(id: string, kind: 'clock-skew' | 'answer', what: string): void {
    const { view, log } = this.deps
    const member = view.get(id)
    if (!member) return
    const text = kind === 'clock-skew' ? `clock skew: ${member.name}'s ${what}` : what
    if (view.problem(id)?.text !== text) {
      log.warn({ member: id, memberName: member.name }, text)
    }
    view.setProblem(id, { kind, text, incarnation: member.incarnation })
  }
}
