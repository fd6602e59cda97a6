// The network's public surface: what the runtime uses, and (through runtime/index.ts) the
// handlers. Everything node to node lives under network/ and runs in the runtime process:
// transport/ carries signed request/answer exchanges (over HTTP, or an in-memory MockNetwork in
// tests), membership/ keeps the peer list; replication/ keeps replicas of the peers' logs and
// transfers/ carries the transfers' outbox to the peers' inboxes, on the same transport;
// keyring/ holds the cluster keys that sign it all, and rotates them across the members.
import type { Logger } from 'pino'
import type { Keyring } from './keyring/keyring.ts'
import { KeyRotation } from './keyring/rotation.ts'
import { Membership } from './membership/membership.ts'
import { workerStore, type WorkerCalls } from './membership/store.ts'
import type { Timing } from './membership/timing.ts'
import type { LogPosition } from './replication/messages.ts'
import type { OwnLedger, Witness } from './replication/witnesses.ts'
import { Replication } from './replication/replication.ts'
import { workerReplicas } from './replication/store.ts'
import { StockFanOut } from './stock/fan-out.ts'
import { Relay } from './transfers/relay.ts'
import { workerTransfers } from './transfers/store.ts'
import { HttpTransport, type PeerTls } from './transport/http-transport.ts'

export { systemClock, type Clock } from './clock.ts'
export type {
  ForceLeaveOutcome,
  LeaveOutcome,
  LiveContact,
  MembershipApi,
} from './membership/api.ts'
export { JOIN_TIMEOUT_MS, NOT_A_MEMBER, type JoinOutcome } from './membership/joining.ts'
export { Membership, type MembershipOptions } from './membership/membership.ts'
export {
  memberAddress,
  messageSchema,
  PEER_MESSAGES,
  type MemberList,
  type MemberUpdate,
  type PeerAnswer,
  type PeerKind,
  type PeerMessage,
} from './membership/messages.ts'
export { workerStore, type MemberStore, type WorkerCalls } from './membership/store.ts'
export {
  answerReserveMs,
  composeStock,
  type Gathered,
  type ReplicaFigures,
} from './stock/answer.ts'
export { Cutoff } from './stock/cutoff.ts'
export {
  StockFanOut,
  type NotLive,
  type PeerStock,
  type WarehouseOutcome,
} from './stock/fan-out.ts'
export {
  MAX_FIGURES,
  STOCK_EXCHANGE,
  stockAsk,
  type StockAnswer,
  type StockAsk,
} from './stock/messages.ts'
export { DEFAULT_TIMING, type Timing } from './membership/timing.ts'
export type { MemberChange } from './membership/view.ts'
export {
  logPosition,
  samePosition,
  MAX_WAIT_MS,
  REPLICATION_MESSAGES,
  type FeedAnswer,
  type FeedMessage,
  type HeldReplica,
  type LogPosition,
  type ReplicaHashesAnswer,
  type ReplicaHeadAnswer,
} from './replication/messages.ts'
export {
  Replication,
  type PeerReplication,
  type ReplicationApi,
  type ReplicationOptions,
} from './replication/replication.ts'
export { DEFAULT_PULL, type PullTiming } from './replication/puller.ts'
export { workerReplicas, type ReplicaStore } from './replication/store.ts'
export {
  askWitnesses,
  type OwnLedger,
  type Witness,
  type WitnessReport,
} from './replication/witnesses.ts'
export {
  restoreFromPeers,
  RestoreError,
  type RestoreOptions,
  type RestoreSource,
} from './replication/restore.ts'
export {
  MAX_BATCH,
  resultsFor,
  TRANSFER_MESSAGES,
  TRANSFER_SENT,
  transferMessagesMessage,
  type TransferMessagesAnswer,
  type TransferSentAnswer,
  type TransferMessagesMessage,
} from './transfers/messages.ts'
export { DEFAULT_RELAY, type LaneStatus, type RelayTiming } from './transfers/lane.ts'
export { Relay, type RelayApi, type RelayOptions } from './transfers/relay.ts'
export { workerTransfers, type Settlement, type TransferStore } from './transfers/store.ts'
export { HttpTransport, type PeerTls } from './transport/http-transport.ts'
export { Keyring, KEYRING_FILE, signingKey, type SigningKey } from './keyring/keyring.ts'
export { keyringMessage, type KeyringAnswer, type KeyringMessage } from './keyring/messages.ts'
export { KeyRotation, type KeyringApi } from './keyring/rotation.ts'
export type { PeerAuth, PeerExchange } from './transport/peer-auth.ts'
export {
  ProtocolError,
  type ExchangeKind,
  type PeerOutcome,
  type ProtocolCode,
  type Transport,
} from './transport/transport.ts'

export interface NetworkOptions {
  /** The database worker, where the peer list is kept. */
  db: WorkerCalls
  log: Logger
  identity: { id: string; name: string }
  /** The cluster keys: the primary signs, any installed one is accepted. */
  keys: Keyring
  /** TLS with peers at https:// addresses: the CA their certificates are checked against, ours. */
  tls?: PeerTls
  /** Addresses to join through at start. */
  join: string[]
  /** Membership timings over the defaults (from the node's configuration). */
  timing?: Partial<Timing>
  /** This node's log head, told to peers on membership traffic. */
  ownHead?: () => LogPosition | undefined
  /** A witness that disagrees with this node's ledger at start: halt its writes. */
  onWitnessDisagrees?: (witness: Witness) => Promise<void>
  /** Another process runs under this node's id (membership heard of it at another address). */
  onImpostor?: (claim: { address: string; incarnation: number; from?: string }) => void
}

export interface Network {
  /** Signed HTTP to the other nodes, and the checks of what they send (`transport.auth`). */
  transport: HttpTransport
  membership: Membership
  /** Company-wide stock: every other member asked at once, under a deadline. */
  stock: StockFanOut
  /** This node's replicas of its peers' logs, one puller per member. */
  replication: Replication
  /** The transfers' outbox carried to each peer, in order, until its inbox answers. */
  relay: Relay
  /** The cluster keys across the members: listed, installed, made primary, removed. */
  keys: KeyRotation
}

/** This node's ledger through its worker: its head, and its hashes at given seqs. */
async function ownLedger(db: WorkerCalls): Promise<OwnLedger> {
  const start = { events: 0, ledger: { seq: 0, hash: '0'.repeat(64) } }
  const { data } = await db.call('events.feed', { after: start, limit: 1, maxBytes: 1 })
  return {
    head: (data as { head: LogPosition }).head.ledger,
    hashes: async (seqs) =>
      (
        (await db.call('ledger.hashes', { seqs })).data as {
          hashes: { seq: number; hash: string }[]
        }
      ).hashes,
  }
}

/** A node's network: its HTTP transport and its membership over it. */
export function createNetwork(options: NetworkOptions): Network {
  const { db, log, identity, keys, tls, join, timing, ownHead, onWitnessDisagrees, onImpostor } =
    options
  const transport = new HttpTransport({ keys, selfId: identity.id, tls })
  const membership = new Membership({
    store: workerStore(db),
    transport,
    log,
    identity,
    join,
    timing,
    ownHead,
    ...(onImpostor && { onImpostor }),
  })
  const replication = new Replication({
    selfId: identity.id,
    membership,
    transport,
    store: workerReplicas(db),
    log,
    ...(onWitnessDisagrees && {
      witnessAtStart: { own: () => ownLedger(db), disagrees: onWitnessDisagrees },
    }),
  })
  const stock = new StockFanOut({
    transport,
    selfId: identity.id,
    members: () => membership.snapshot().members,
  })
  const relay = new Relay({
    identity,
    membership,
    transport,
    store: workerTransfers(db),
    log: log.child({ service: 'relay' }),
  })
  const rotation = new KeyRotation({
    keyring: keys,
    transport,
    selfId: () => identity.id,
    members: () => membership.snapshot().members,
  })
  return { transport, membership, replication, stock, relay, keys: rotation }
}
