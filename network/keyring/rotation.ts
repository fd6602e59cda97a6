// A key rotation across the network, one step at a time (serf's `serf keys`): install a new key on
// every member, make it primary on every member, remove the old one from every member. Each step
// is asked of every live member at once over the signed transport; the two that could split the
// network check first: a key becomes primary only once every member holds it (so whatever a
// member signs with it, every other takes), and a key is removed only once no member signs with
// it. A failed member cannot say, so it holds both back until it is back or force-left. A member
// that has left is not asked and holds nothing back: should it come back after the rotation, it
// needs the new key (README: rotating the cluster key). Every step can be asked again.
import { randomBytes } from 'node:crypto'
import type { KeyInstalled, KeyringReport, MemberKeys } from '../../api/keys.ts'
import type { Member } from '../../db/contract/index.ts'
import { ProtocolError, type Transport } from '../transport/transport.ts'
import { signingKey, type KeyEntry, type Keyring } from './keyring.ts'
import { KEYRING_EXCHANGE, type KeyringAnswer, type KeyringMessage } from './messages.ts'

/** How long a member has to answer one step. */
const STEP_TIMEOUT_MS = 5000

/** The network's keys as handlers see them (ctx.keys). */
export interface KeyringApi {
  report(): Promise<KeyringReport>
  /**
   * Installs a key (given, or made here when `secret` is undefined) on every live member; with
   * `here`, on this node alone (the others are only listed).
   */
  install(secret: string | undefined, options?: { here?: boolean }): Promise<KeyInstalled>
  use(id: string): Promise<KeyringReport>
  remove(id: string): Promise<KeyringReport>
  /** A step another member asks of this one (POST /peer/keyring). */
  receive(message: KeyringMessage): Promise<KeyringAnswer>
}

export interface KeyRotationOptions {
  keyring: Keyring
  transport: Transport
  /** This node's id as it stands (a restore may change it). */
  selfId(): string
  /** The peer list as committed (the membership's snapshot). */
  members(): Member[]
}

type Asked = { member: Member; keys: KeyEntry[] | null; problem: string | null }

export class KeyRotation implements KeyringApi {
  constructor(private readonly options: KeyRotationOptions) {}

  report(): Promise<KeyringReport> {
    return this.everywhere({ op: 'list' }).then(summarise)
  }

  async install(given: string | undefined, { here = false } = {}): Promise<KeyInstalled> {
    const { keyring } = this.options
    const secret = given ?? newKey()
    // Here first: a key this node cannot take is refused before any member is told of it.
    await keyring.install(secret)
    // Sent sealed under the primary key: whoever holds that key and sees the traffic can open it.
    // After a leak, each node installs it alone (`here`), and no member is sent it.
    const message: KeyringMessage = here
      ? { op: 'list' }
      : { op: 'install', key: keyring.seal(secret) }
    const report = summarise(await this.everywhere(message))
    return {
      id: signingKey(secret).id,
      ...(given === undefined && { generated: secret }),
      ...report,
    }
  }

  async use(id: string): Promise<KeyringReport> {
    const before = await this.everywhere({ op: 'list' })
    const lacking = before.filter((a) => counts(a) && !a.keys?.some((k) => k.id === id))
    if (lacking.length > 0) {
      throw new ProtocolError(
        'KEY_NOT_EVERYWHERE',
        `Key ${id} cannot sign yet: ${lacking.map(describeLack).join('; ')}. Install it on them first (POST /keys), or wait for them`,
        summarise(before)
      )
    }
    // The others first, this node last: every member accepts it already, in any order.
    return summarise(await this.everywhere({ op: 'use', id }, { selfLast: true }))
  }

  async remove(id: string): Promise<KeyringReport> {
    const before = await this.everywhere({ op: 'list' })
    const signing = before.filter((a) => a.keys?.some((k) => k.id === id && k.primary))
    if (signing.length > 0) {
      throw new ProtocolError(
        'KEY_IN_USE',
        `Key ${id} still signs on ${signing.map((a) => a.member.name).join(', ')}: make another key primary first (POST /keys/ID/use)`,
        summarise(before)
      )
    }
    const silent = before.filter((a) => counts(a) && a.keys === null)
    if (silent.length > 0) {
      throw new ProtocolError(
        'KEY_NOT_EVERYWHERE',
        `Key ${id} is not removed while members cannot say whether they sign with it: ${silent.map(describeLack).join('; ')}`,
        summarise(before)
      )
    }
    return summarise(await this.everywhere({ op: 'remove', id }, { selfLast: true }))
  }

  async receive(message: KeyringMessage): Promise<KeyringAnswer> {
    const { keyring } = this.options
    switch (message.op) {
      case 'list':
        return { keys: keyring.list() }
      case 'install':
        return { keys: await keyring.install(keyring.open(message.key)) }
      case 'use':
        return { keys: await keyring.use(message.id) }
      case 'remove':
        return { keys: await keyring.remove(message.id) }
    }
  }

  /**
   * One step on this node and on every live member at once (failed and left ones are listed, not
   * asked). `selfLast`: this node takes the step after the others have answered.
   */
  private async everywhere(message: KeyringMessage, { selfLast = false } = {}): Promise<Asked[]> {
    const selfId = this.options.selfId()
    const members = this.options.members()
    const self = members.find((m) => m.id === selfId)
    const others = members.filter((m) => m.id !== selfId)
    const here = async (): Promise<Asked> => {
      const member = self ?? ({ id: selfId, name: 'this node', state: 'alive' } as Member)
      try {
        return { member, keys: (await this.receive(message)).keys, problem: null }
      } catch (err) {
        if (err instanceof ProtocolError) return { member, keys: null, problem: err.message }
        throw err
      }
    }
    const first = selfLast ? undefined : await here()
    const answers = await Promise.all(others.map((m) => this.ask(m, message)))
    return [first ?? (await here()), ...answers]
  }

  private async ask(member: Member, message: KeyringMessage): Promise<Asked> {
    if (member.state === 'failed') {
      const problem = `failed since ${member.stateChangedAt}, so not asked: bring it back, or remove it for good with almacen force-leave ${member.name}`
      return { member, keys: null, problem }
    }
    if (member.state === 'left') {
      const problem = `left at ${member.stateChangedAt}, so not asked: should it come back, it needs the new key`
      return { member, keys: null, problem }
    }
    const outcome = await this.options.transport.call({
      kind: KEYRING_EXCHANGE,
      address: member.address,
      to: member.id,
      body: message,
      timeoutMs: STEP_TIMEOUT_MS,
    })
    if (outcome.ok) return { member, keys: outcome.body.keys, problem: null }
    return { member, keys: null, problem: outcome.message }
  }
}

/** 256 random bits, as a key an operator can paste into ALMACEN_CLUSTER_KEY. */
function newKey(): string {
  return randomBytes(32).toString('base64url')
}

/** Whether a member holds a rotation step back: every member but those that left. */
const counts = (asked: Asked) => asked.member.state !== 'left'

function describeLack(asked: Asked): string {
  const { member, keys, problem } = asked
  return keys === null ? `${member.name} (${problem})` : `${member.name} does not hold it`
}

function summarise(asked: Asked[]): KeyringReport {
  const keys = new Map<string, { id: string; installedOn: number; primaryOn: number }>()
  for (const { keys: held } of asked) {
    for (const key of held ?? []) {
      const count = keys.get(key.id) ?? { id: key.id, installedOn: 0, primaryOn: 0 }
      count.installedOn += 1
      if (key.primary) count.primaryOn += 1
      keys.set(key.id, count)
    }
  }
  const members: MemberKeys[] = asked.map(({ member, keys: held, problem }, i) => ({
    id: member.id,
    name: member.name,
    state: member.state,
    self: i === 0,
    keys: held,
    problem,
  }))
  return {
    keys: [...keys.values()],
    asked: asked.filter((a) => a.member.state !== 'failed' && a.member.state !== 'left').length,
    answered: asked.filter((a) => a.keys !== null).length,
    members,
  }
}
