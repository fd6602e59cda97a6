// Restoring a node whose disk died from the replicas its peers hold of it (research §5: a peer's
// replica is the backup, and its hash chain makes any holder's copy checkable). The node asks
// the addresses it was given which of them hold a replica of it (by id, or by its name), picks
// the longest history that the others' heads are prefixes of (a peer whose replica broke, or that
// holds another history, is named and not used; but when every peer answered and every replica
// broke forked, the longest of those, as the ledger was before it parted from them), pulls its own log from that replica into its
// empty database page by page (the worker checks every row's hash and link), and has the worker
// verify the whole chain and every balance before it takes the node id. Nothing here serves a
// client: the runtime answers 503 RESTORING until this resolves.
import type { Logger } from 'pino'
import type { RestoreSource } from '../../api/ledger.ts'
import type { OpName, Payload, RestoreReport } from '../../db/contract/index.ts'
import { ANY_RECEIVER, type Transport } from '../transport/transport.ts'
import {
  REPLICATION_MESSAGES,
  type FeedAnswer,
  type HeldReplica,
  type LogPosition,
} from './messages.ts'
import { positionAfter } from './puller.ts'

/** The worker, with a longer wait for the steps that take longer (the final verify). */
export interface RestoreDb {
  call<O extends OpName>(
    op: O,
    payload: Payload<O>,
    options?: { timeoutMs?: number }
  ): Promise<{ data: unknown }>
}

export interface RestoreOptions {
  transport: Transport
  db: RestoreDb
  log: Logger
  /** Where to ask: the addresses the node was given to join through. */
  addresses: string[]
  /** The node to restore; without it, the one the peers' replicas name `name`. */
  nodeId?: string
  name: string
  /** This node's id as it stands (a running empty node's own): never the one restored. */
  selfId: string
  /** The address this node advertises: where its peers may see its own id running (a catch-up). */
  advertise?: string
  /** Events per page pulled. */
  page?: number
  /** How long one peer exchange may take. */
  timeoutMs?: number
  /** How long the worker may take to verify the whole restored ledger. */
  verifyTimeoutMs?: number
}

/** A restore that cannot go on, and why, in words for the person who started it. */
export class RestoreError extends Error {
  constructor(
    message: string,
    readonly sources: RestoreSource[] = [],
    /** 'running': the node to restore runs (a holder sees it, or it answered itself). */
    readonly kind?: 'running'
  ) {
    super(message)
    this.name = 'RestoreError'
  }
}

export type { RestoreSource }

interface Candidate extends RestoreSource {
  peer: { id: string; name: string; address: string }
  replica: NonNullable<RestoreSource['replica']>
}

const short = (hash: string | null | undefined) => (hash ? `${hash.slice(0, 12)}…` : 'nothing')
const who = (s: RestoreSource) => s.peer.name ?? s.peer.address
const rowsOf = (c: Candidate) => c.replica.position.ledger.seq

export async function restoreFromPeers(o: RestoreOptions): Promise<RestoreReport> {
  const startedAt = new Date().toISOString()
  const timeoutMs = o.timeoutMs ?? 30_000
  if (o.addresses.length === 0) {
    throw new RestoreError('A restore asks the peers given with --join: none was given')
  }
  if (!o.transport.canTalk) {
    throw new RestoreError(
      'A restore asks the peers, which needs the cluster key (ALMACEN_CLUSTER_KEY)'
    )
  }

  // 1. Who holds what of the node.
  const asked = await Promise.all(
    o.addresses.map(async (address) => {
      const outcome = await o.transport.call({
        kind: REPLICATION_MESSAGES.replicaHead,
        address,
        to: ANY_RECEIVER,
        body: o.nodeId ? { node: o.nodeId } : { name: o.name },
        timeoutMs,
      })
      return { address, outcome }
    })
  )
  // A peer reached at two addresses (joined at one, advertising another) answers twice, signed
  // by the same id: one vote, not two (a fork of one against one is a tie, refused).
  const answered = asked
    .flatMap(({ address, outcome }) =>
      outcome.ok ? [{ address, id: outcome.responder, ...outcome.body }] : []
    )
    .filter((a, i, all) => all.findIndex((b) => b.id === a.id) === i)
  const silent: RestoreSource[] = asked.flatMap(({ address, outcome }) =>
    outcome.ok
      ? []
      : [
          {
            peer: { id: null, name: null, address },
            replica: null,
            used: false,
            // "refused: connection refused" said once
            problem: `did not answer (${outcome.message.includes(outcome.reason) ? '' : `${outcome.reason}: `}${outcome.message})`,
          },
        ]
  )
  if (answered.length === 0) {
    throw new RestoreError(
      `No peer answered: ${silent.map((s) => `${s.peer.address} ${s.problem}`).join('; ')}. Start one of them (or give another's address with --join), then start this node again with --restore`,
      silent
    )
  }

  // 2. Which node: the id given, or the one node the peers' replicas call by this name.
  let nodeId = o.nodeId
  if (!nodeId) {
    const ids = new Set(
      answered.flatMap((a) => a.replicas.map((r) => r.nodeId)).filter((n) => n !== o.selfId)
    )
    const peers = answered.map((a) => a.name).join(', ')
    const ofItself = answered.some((a) =>
      a.replicas.some((r) => r.nodeId === o.selfId && r.position.ledger.seq > 0)
    )
    if (ids.size === 0 && ofItself) {
      // The peers know this very node by its id: it was started with --restore on its own data.
      throw new RestoreError(
        `The peers (${peers}) hold replicas of this very node (${o.selfId}), not of a lost one: this data directory holds its ledger already. A restore fills an empty data directory (start the node on one), or catches up a backup of the node itself (start it on the backup, without --restore)`,
        silent
      )
    }
    if (ids.size === 0) {
      throw new RestoreError(
        `No peer (${peers}) holds a replica of a warehouse named "${o.name}": check --name, or give its node id with --restore-id`,
        silent
      )
    }
    if (ids.size > 1) {
      throw new RestoreError(
        `The peers hold replicas of ${ids.size} warehouses named "${o.name}" (${[...ids].join(', ')}): say which with --restore-id`,
        silent
      )
    }
    nodeId = [...ids][0]
  }
  const id = nodeId
  // A node catching up its own backup restores its own id: seen running at its own address, that
  // is itself; seen running anywhere else, a copy of it runs there.
  refuseRunning(id, answered, id === o.selfId ? o.advertise : undefined)
  const sources: RestoreSource[] = [
    ...answered.map((a): RestoreSource => {
      const held = a.replicas.find((r) => r.nodeId === id)
      const peer = { id: a.id, name: a.name, address: a.address }
      if (!held) return { peer, replica: null, used: false, problem: 'holds no replica of it' }
      const { nodeId: _id, name: _name, ...replica } = held
      const problem =
        replica.state === 'broken'
          ? `its replica is broken (${replica.reason}): not restored from while a peer holds a whole one`
          : replica.position.events === 0
            ? 'its replica holds nothing yet'
            : null
      return { peer, replica, used: false, problem }
    }),
    ...silent,
  ]
  const name = answered.flatMap((a) => a.replicas.filter((r) => r.nodeId === id))[0]?.name ?? o.name

  // 3. The longest history the others agree with. Broken replicas only when every peer given
  // answered, none holds a whole one, and theirs broke forked (the node's ledger parted from
  // them; any other break is no evidence of it): their rows are whole (a page that broke them was
  // never applied), as the ledger was. When the node's own disk was rewritten, every peer that
  // held the rows changed broke on them. A whole replica is always preferred: one left broken by
  // an accepted rollback holds rows the warehouse no longer counts; and a peer that did not
  // answer may hold a whole one, so none is used then.
  const whole = sources.filter((s): s is Candidate => s.problem === null && s.replica !== null)
  const broken = sources.filter(
    (s): s is Candidate =>
      s.replica?.state === 'broken' &&
      s.replica.reason === 'forked' &&
      s.replica.position.events > 0
  )
  const fallback = whole.length === 0 && silent.length === 0 && broken.length > 0
  const chosen = await choose(o, id, fallback ? broken : whole, timeoutMs)
  if (chosen && fallback) {
    o.log.warn(
      { node: id, from: chosen.peer, reason: chosen.replica.reason },
      `no peer holds a whole replica of node ${id}: restoring from ${chosen.peer.name}'s, broken (${chosen.replica.reason}) when the node's ledger parted from it; its rows are verified all the same`
    )
    chosen.problem = null
  }
  if (!chosen && whole.length === 0 && broken.length > 0 && silent.length > 0) {
    // Only broken replicas answered: one that did not may hold a whole one.
    throw new RestoreError(
      `Only broken replicas of node ${id} answered (${broken.map((s) => s.peer.name).join(', ')}); one is restored from only when every peer given answers, and ${silent.map(who).join(', ')} did not: start it, or leave it out of --join if it holds no replica`,
      sources
    )
  }
  if (!chosen) {
    const why = sources.map((s) => `${who(s)}: ${s.problem}`).join('; ')
    throw new RestoreError(
      `No peer holds a replica of node ${id} to restore from (${why})`,
      sources
    )
  }
  chosen.used = true
  o.log.info(
    { node: id, from: chosen.peer, head: chosen.replica.position, sources },
    `restoring node ${id} (${name}) from ${chosen.peer.name}'s replica: ${rowsOf(chosen)} ledger rows`
  )

  // 4. Its log, page by page, from there.
  const position = await pull(o, id, chosen, timeoutMs)
  // A holder that served less than it said it holds (its replica dropped meanwhile, or a key
  // holder's lie): the restore is not finished on its word; what was pulled stays, to resume.
  const said = chosen.replica.position
  if (position.events < said.events) {
    throw new RestoreError(
      `${chosen.peer.name} said it holds node ${id}'s log up to event ${said.events} (ledger row ${said.ledger.seq}) but served it only up to event ${position.events} (row ${position.ledger.seq}); start the node with --restore again to resume it, or to restore from another peer give only its address with --join`,
      sources
    )
  }

  // 5. Verified whole by the worker, which only then takes the node id.
  const seen = sources
    .filter((s) => s.replica?.caughtUpAt)
    .sort((a, b) => String(b.replica?.caughtUpAt).localeCompare(String(a.replica?.caughtUpAt)))[0]
  const report: Partial<RestoreReport> = {
    from: { id: chosen.peer.id, name: chosen.peer.name },
    sources,
    lastSeenBy: seen?.peer.id
      ? { id: seen.peer.id, name: seen.peer.name ?? '', at: seen.replica?.caughtUpAt as string }
      : null,
    mayBeLost: `writes acknowledged after ledger row ${position.ledger.seq} (event ${position.events}), if any, were not replicated to the peer restored from and are lost`,
    // From replicas that broke forked: what the node's ledger was before it parted from them,
    // its own disk rewritten, or an accepted rollback (which those replicas cannot tell apart).
    ...(fallback && {
      confirm: `restored from ${chosen.peer.name}'s replica, which broke forked, as every peer's did: the ledger as it was before it parted from them. If its own disk was rewritten, that is the true ledger; if an admin rolled it back and accepted that, these are rows the warehouse no longer counts. Check which, then accept (POST /ledger/accept) or restore another way`,
    }),
    startedAt,
  }
  const { data } = await o.db.call(
    'ledger.restoreFinish',
    { nodeId: id, report: report as Record<string, unknown> },
    { timeoutMs: o.verifyTimeoutMs ?? 600_000 }
  )
  return data as RestoreReport
}

/**
 * Refuses to restore a node that runs: one that answered itself, or one a peer's membership sees
 * alive or suspect. Its id would be this node's for good, and two nodes under one id each write
 * as that warehouse (its company figures then come from whichever answers).
 */
function refuseRunning(
  id: string,
  answered: { id: string; name: string; address: string; replicas: HeldReplica[] }[],
  ownAddress?: string
): void {
  const itself = answered.find((a) => a.id === id)
  const seen = answered.flatMap((a) =>
    a.replicas
      .filter((r) => r.nodeId === id && (r.member === 'alive' || r.member === 'suspect'))
      // This very node, catching up its own backup, seen where it runs.
      .filter(
        (r) =>
          ownAddress === undefined || (r.memberAddress != null && r.memberAddress !== ownAddress)
      )
      .map((r) => `${a.name} sees it ${r.member}${r.memberAddress ? ` at ${r.memberAddress}` : ''}`)
  )
  if (!itself && seen.length === 0) return
  const why = itself ? `it answered at ${itself.address}` : seen.join(', ')
  throw new RestoreError(
    `Node ${id} is running (${why}): a restore takes the id of a warehouse whose disk is lost, and two nodes under one id would each write as it. Stop it first (its peers see it failed within seconds), then restore`,
    [],
    'running'
  )
}

/**
 * The candidate to restore from: the longest replica whose history the others' heads are
 * prefixes of. One that holds another history (its head's hash is not the longest's row there)
 * is named and set aside; when those outnumber the ones that agree, the choice is made among
 * them instead; a tie cannot be decided and is refused.
 */
async function choose(
  o: RestoreOptions,
  nodeId: string,
  candidates: Candidate[],
  timeoutMs: number
): Promise<Candidate | undefined> {
  const sorted = [...candidates].sort(
    (a, b) => b.replica.position.events - a.replica.position.events
  )
  const [longest, ...others] = sorted
  if (!longest) return undefined
  const seqs = [...new Set(others.map(rowsOf).filter((seq) => seq > 0))]
  const outcome = seqs.length
    ? await o.transport.call({
        kind: REPLICATION_MESSAGES.replicaHashes,
        address: longest.peer.address,
        to: longest.peer.id,
        body: { node: nodeId, seqs },
        timeoutMs,
      })
    : { ok: true as const, body: { hashes: [] } }
  if (!outcome.ok) {
    longest.problem = `did not answer for its row hashes (${outcome.reason}: ${outcome.message})`
    return choose(o, nodeId, others, timeoutMs)
  }
  const at = new Map(outcome.body.hashes.map((h) => [h.seq, h.hash]))
  const agree = [longest]
  const differ: Candidate[] = []
  for (const other of others) {
    const { seq, hash } = other.replica.position.ledger
    if (seq === 0 || at.get(seq) === hash) agree.push(other)
    else differ.push(other)
  }
  const mark = (group: Candidate[], against: Candidate[]) => {
    const names = against.map((c) => c.peer.name).join(', ')
    for (const c of group) {
      const { seq, hash } = c.replica.position.ledger
      c.problem = `holds another history of the ledger: its row ${seq} is ${short(hash)}, ${names} ${against.length > 1 ? 'hold' : 'holds'} ${short(at.get(seq) ?? null)} there (a fork: never restored from)`
    }
  }
  if (differ.length === 0) return longest
  if (agree.length > differ.length) {
    mark(differ, agree)
    return longest
  }
  if (differ.length > agree.length) {
    mark(agree, differ)
    return choose(o, nodeId, differ, timeoutMs)
  }
  throw new RestoreError(
    `The peers hold two histories of node ${nodeId}'s ledger, as many on each side (${agree.map((c) => c.peer.name).join(', ')} against ${differ.map((c) => c.peer.name).join(', ')}): which one is the warehouse's own cannot be told from here; restore from one by giving only its address with --join`,
    candidates
  )
}

/** Pulls the node's log from the chosen replica into the worker; the next page is asked for while one is applied. */
async function pull(
  o: RestoreOptions,
  nodeId: string,
  from: Candidate,
  timeoutMs: number
): Promise<LogPosition> {
  const limit = o.page ?? 5000
  const ask = (after: LogPosition) =>
    o.transport.call({
      kind: REPLICATION_MESSAGES.replicaFeed,
      address: from.peer.address,
      to: from.peer.id,
      body: { node: nodeId, after, limit, maxBytes: 4 * 1024 * 1024 },
      timeoutMs,
    })
  let position = (await o.db.call('ledger.restoreBegin', { nodeId })).data as LogPosition
  if (position.events > 0) {
    o.log.info({ position }, 'the own log stands here already (a backup, or a restore cut short)')
  }
  const held = from.replica.position
  if (held.events <= position.events) {
    // A backup newer than the replica: nothing to pull, only the replica's rows to agree with.
    const { seq, hash } = held.ledger
    const own =
      seq === 0
        ? []
        : (
            (await o.db.call('ledger.hashes', { seqs: [seq] })).data as {
              hashes: { seq: number; hash: string }[]
            }
          ).hashes
    if (seq > 0 && own[0]?.hash !== hash) {
      throw new RestoreError(
        `${from.peer.name}'s replica holds row ${seq} as ${short(hash)}, this ledger ${short(own[0]?.hash)}: two histories, nothing is pulled`
      )
    }
    return position
  }
  let next = ask(position)
  let logged = 0
  for (;;) {
    const outcome = await next
    if (!outcome.ok) {
      throw new RestoreError(
        `${from.peer.name} stopped answering for the replica's log after event ${position.events} (${outcome.reason}: ${outcome.message}); start the restore again to resume it`
      )
    }
    const page: FeedAnswer = outcome.body
    if (page.events.length === 0) return position
    const after = positionAfter(position, page)
    if (!page.upToDate) next = ask(after)
    position = (
      await o.db.call(
        'ledger.restorePage',
        { nodeId, after: position, events: page.events },
        { timeoutMs }
      )
    ).data as LogPosition
    if (position.ledger.seq - logged >= 50_000) {
      logged = position.ledger.seq
      o.log.info({ position, of: from.replica.position }, 'restoring: pages applied')
    }
    if (page.upToDate) return position
  }
}
