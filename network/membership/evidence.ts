import type { Logger } from 'pino'
import {
  ANY_RECEIVER,
  describeSkew,
  type PeerOutcome,
  type TransportEvents,
} from '../transport/transport.ts'
import { NOT_A_MEMBER } from './joining.ts'
import type { MemberView } from './view.ts'

/** How often a request with a key this node lacks is said again (per key). */
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
  /** Each cluster key this node lacks that a request named, and when that was last said. */
  private readonly unknownKeys = new Map<string, number>()

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
   * A request in a member's name with a cluster key this node lacks: what a node that missed a key
   * rotation sees (down, or restored with the old key), its peers all failing it meanwhile. Said
   * at error level, once a key a quarter of an hour; nothing else, since no key checked it.
   */
  unknownKey(sender: string, keyId: string): void {
    const member = this.deps.view.get(sender)
    if (!member) return
    const now = performance.now()
    const said = this.unknownKeys.get(keyId)
    if (said !== undefined && now - said < UNKNOWN_KEY_EVERY_MS) return
    if (this.unknownKeys.size >= 16) this.unknownKeys.clear() // a flood of made-up ids
    this.unknownKeys.set(keyId, now)
    this.deps.log.error(
      { member: sender, memberName: member.name, keyId },
      `a request in ${member.name}'s name is signed with cluster key ${keyId}, which this node does not hold: if the network rotated its key while this node was away, install the current key here (POST /keys {"key": …, "here": true}, or ALMACEN_CLUSTER_KEY); until then the members that sign with it refuse this node, and it them`
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
