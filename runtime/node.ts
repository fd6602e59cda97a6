import { randomBytes } from 'node:crypto'
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import type { IncomingMessage, Server } from 'node:http'
import type { Socket } from 'node:net'
import { networkInterfaces, tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Logger } from 'pino'
import type { Config } from './config.ts'
import type { NodeIdentity } from './context.ts'
// What the worker's start needs, and no more: the rest of the node (its HTTP side, metrics, the
// network, the handlers) is imported once the worker is forked, and loads while it starts.
import type { NodeBackups } from './backups.ts'
import { lockDataDir } from './data-dir-lock.ts'
import { alive, startTicks } from '../lib/processes.ts'
import { privateDataDir } from './data-dir.ts'
import type { DbClient } from './db-client.ts'
import type { EventHub } from './event-hub.ts'
import type { HttpServer, ServerTls } from './http-server.ts'
import type { jsonResponse } from './errors.ts'
import type { NodeInfo, RestoreReport } from '../db/contract/index.ts'
import type { PeerConnection } from './router.ts'
import type { Membership, RelayApi } from '../network/index.ts'
import type { Services } from './services.ts'
import { certificateMismatch, certificateNotFromCa } from './tls.ts'
import { WorkerSupervisor, type SupervisorOptions, type WorkerReady } from './worker-supervisor.ts'
import { LISTENING_FILE, type Listening } from '../api/access.ts'

/** How often writes are halted again for another process heard under this node's id. */
const IMPOSTOR_AGAIN_MS = 60_000

export const HANDLERS_DIR = fileURLToPath(new URL('../handlers', import.meta.url))
export const VERSION: string = JSON.parse(
  // From runtime/ under tsx, from dist/runtime/ when built.
  readFileSync(
    new URL(
      import.meta.url.endsWith('.js') ? '../../package.json' : '../package.json',
      import.meta.url
    ),
    'utf8'
  )
).version

/** Calls in flight to the worker beyond which requests are refused with 503. */
const MAX_IN_FLIGHT = 2048

export interface RunningNode {
  url: string
  port: number
  identity: NodeIdentity
  worker: DatabaseWorker
  db: DbClient
  backups: NodeBackups
  membership: Membership
  server: Server
  /** The URL other nodes reach this one at. */
  advertise: string
  /** Stops taking requests, finishes those in flight, stops the worker. */
  close(): Promise<void>
}

/** What runs the node's database: the worker process under its supervisor, by default. */
export interface DatabaseWorker {
  /** The worker process, while one runs. */
  readonly pid: number | undefined
  /** Times the worker died and was started again. */
  readonly restarts: number
  /** Resolves once the worker serves at the endpoint (it calls `onReady` first). */
  start(): Promise<WorkerReady>
  /** Finishes the batch in hand, commits, and stops. */
  stop(): Promise<void>
}

export interface NodeOptions {
  /**
   * Starts the database worker that serves `options.settings.endpoint`. A node always forks
   * db/worker.ts; tests may run the same loop in their own process
   * (tests/fixtures/in-process-worker.ts).
   */
  worker?: (options: SupervisorOptions) => DatabaseWorker
  /**
   * How long a stop leaves a quiet connection open for a request already on its way (QUIET_MS in
   * runtime/http-server.ts). A test whose requests have all been answered when it stops its node
   * passes 0: nothing is on its way, and each stop would otherwise wait that long for nothing.
   */
  quietMs?: number
}

/**
 * The URL peers use when none is configured: the bound address, or this machine's first IPv4;
 * https:// when the node serves TLS.
 */
/** `n thing` or `n things`, for the log's sentences. */
const count = (n: number, thing: string) => `${n} ${thing}${n === 1 ? '' : 's'}`

function advertisedUrl(host: string, port: number, scheme: 'http' | 'https'): string {
  if (host !== '0.0.0.0' && host !== '::')
    return `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}`
  const external = Object.values(networkInterfaces())
    .flat()
    .find((i) => i && i.family === 'IPv4' && !i.internal)
  return `${scheme}://${external?.address ?? '127.0.0.1'}:${port}`
}

/** The answer to every request while the node restores its ledger: not yet, and why. */
function restoring(respond: typeof jsonResponse): Response {
  return respond(
    {
      status: 503,
      error:
        "This node is restoring its ledger from its peers' replicas; it serves once the whole ledger is verified (see its log)",
      code: 'RESTORING',
    },
    503,
    { 'retry-after': '5' }
  )
}

/** Removes the socket files of nodes killed before they could (their pid no longer runs). */
function removeStaleSockets(): void {
  for (const name of readdirSync(tmpdir())) {
    const pid = /^almacen-(\d+)-[0-9a-f]+\.ipc$/.exec(name)?.[1]
    if (pid && !alive(Number(pid))) rmSync(path.join(tmpdir(), name), { force: true })
  }
}

/** Starts a whole node: its database worker, the handlers, the HTTP server and its network. */
export async function startNode(
  config: Config,
  log: Logger,
  { worker: createWorker = (options) => new WorkerSupervisor(options), quietMs }: NodeOptions = {}
): Promise<RunningNode> {
  const { cert, key, ca } = config.tls ?? {}
  const serving: ServerTls | undefined = cert && key ? { cert, key, ca } : undefined
  const scheme = serving ? 'https' : 'http'
  if (serving) {
    const mismatch = certificateMismatch(
      serving.cert,
      config.advertise ?? advertisedUrl(config.host, 0, scheme)
    )
    if (mismatch) throw new Error(mismatch)
    const stranger = serving.ca ? certificateNotFromCa(serving.cert, serving.ca) : undefined
    if (stranger) log.warn(stranger)
  }
  const tightened = await privateDataDir(config.dataDir)
  if (tightened.length > 0) log.warn({ tightened }, 'made the data directory private: it was open')
  const unlockDataDir = await lockDataDir(config.dataDir)
  removeStaleSockets()
  const socketFile = path.join(
    tmpdir(),
    `almacen-${process.pid}-${randomBytes(6).toString('hex')}.ipc`
  )
  const endpoint = `ipc://${socketFile}`
  // What a stopped node leaves behind: nothing (its socket file, its claim on the data directory).
  const releaseDataDir = async () => {
    rmSync(socketFile, { force: true })
    await unlockDataDir()
  }
  // The client of the worker, once its module is loaded; `up` while a worker serves.
  let client: DbClient | undefined
  let up = false
  const worker = createWorker({
    settings: {
      dataDir: config.dataDir,
      name: config.name,
      endpoint,
      logLevel: config.logLevel,
      restore: config.restore === true,
    },
    nodeOptions: config.workerNodeOptions,
    log,
    onReady: () => {
      up = true
      client?.connect(endpoint)
      // A restarted worker: a commit just before its crash may have gone without a notice, and
      // one that put a message in the outbox without the relay being told.
      if (events) void events.refresh().catch(() => undefined)
      relay?.wake()
    },
    onDown: (reason) => {
      up = false
      client?.disconnect(reason)
    },
  })
  let http: HttpServer | undefined
  // Removed before the port is let go (a stop, a failed start): from then on another program may
  // listen there, and the local client must not send it the admin token.
  const listeningFile = path.join(config.dataDir, LISTENING_FILE)
  const forgetListening = () => {
    try {
      rmSync(listeningFile, { force: true })
    } catch {
      // Not this process's to remove (another user's directory): the stop goes on.
    }
  }
  let events: EventHub | undefined
  let relay: RelayApi | undefined
  try {
    // The worker starts first; the rest of the node loads meanwhile (a restart is back sooner:
    // forked before these imports, 0.2 s earlier, a node restarting on its data directory
    // listened some 0.14 s sooner on a 2-core machine).
    const starting = worker.start()
    starting.catch(() => undefined) // observed below; a failure during the imports is not lost
    const [
      { createServerAdapter },
      { bodyLimits, createApp, loadRoutes },
      { createNetwork, HttpTransport, Keyring, restoreFromPeers, RestoreError },
      { catchUpBackup, NodeBackups, NO_SCHEDULE },
      { ensureFirstAdmin, newAdminToken },
      { DbClient },
      { EventHub },
      { HostNames },
      { HttpServer, connectionLimits, openFileLimit },
      { HttpError, jsonResponse },
      { NodeMetrics },
      { Services },
      { TimerLateness },
    ] = await Promise.all([
      import('@whatwg-node/server'),
      import('./router.ts'),
      import('../network/index.ts'),
      import('./backups.ts'),
      import('./admin-token.ts'),
      import('./db-client.ts'),
      import('./event-hub.ts'),
      import('./host-names.ts'),
      import('./http-server.ts'),
      import('./errors.ts'),
      import('./metrics.ts'),
      import('./services.ts'),
      import('./timer-lateness.ts'),
    ])
    const db = new DbClient({ log, timeoutMs: config.dbTimeoutMs, maxInFlight: MAX_IN_FLIGHT })
    client = db
    if (up) db.connect(endpoint)
    const metrics = new NodeMetrics({ workerRestarts: () => worker.restarts })
    // A federated topic's events are put in the outbox by the event log's trigger, in the commit
    // of the change (migrations/…_create_federations.ts): the worker's notice says so, and the
    // relay is told.
    db.onEvents((_head, _ledger, outbox) => {
      if (outbox) relay?.wake()
    })
    const [ready, routes] = await Promise.all([starting, loadRoutes(HANDLERS_DIR)])
    // Started without --name: the log names the node as its data directory does from here on.
    if (config.name === undefined) log.setBindings({ node: ready.name })
    // Kept as soon as the database is open, before anything else is made here (an admin, a token,
    // a member list): a stop from here on is a restore to finish at the next start, not a new
    // warehouse under the lost one's name. A node holding its own ledger refuses it.
    if (config.restore) {
      await db.call('ledger.restoreAsked', {}).catch((err: unknown) => {
        throw err instanceof HttpError && err.code === 'CONFLICT'
          ? new RestoreError(err.message)
          : err
      })
    }
    await ensureFirstAdmin(db, config.dataDir, log)
    if (config.newAdminToken) await newAdminToken(db, config.dataDir, log)
    const { keyring, note } = await Keyring.load(config.dataDir, config.clusterKey)
    if (note) log.warn(note)
    const identity: NodeIdentity = {
      id: ready.id,
      name: ready.name,
      version: VERSION,
      startedAt: new Date().toISOString(),
    }
    // The names a request's Host may carry (DNS rebinding); the advertised host is known now,
    // only its port waits for the listen.
    const names = new HostNames({
      bound: config.host,
      advertise: config.advertise ?? advertisedUrl(config.host, 0, scheme),
      allowed: config.allowedHosts,
    })
    log.info({ hosts: names.list() }, 'requests are answered for these host names')
    const status = { stopping: false }
    // Until the node's routes are up (a restore first rebuilds and verifies the ledger), every
    // request is answered 503 RESTORING: nothing is served from a ledger not yet verified.
    let app: ((request: Request, connection: PeerConnection) => Promise<Response>) | undefined
    let connectionOf: (socket: Socket) => PeerConnection = (socket) => ({
      address: socket.remoteAddress,
      from() {},
      cutOff: () => socket.destroy(),
    })
    const adapter = createServerAdapter<{ req: IncomingMessage }>((request, { req }) =>
      app ? app(request, connectionOf(req.socket)) : restoring(jsonResponse)
    )
    const connections = connectionLimits(config, openFileLimit())
    if (connections.note) log.warn(connections.note)
    http = new HttpServer(adapter, log, bodyLimits(routes), serving, quietMs, connections.limits)
    const server = http.server
    // Beyond Node's defaults: a client that stalls mid-request is cut off rather than held forever.
    server.requestTimeout = 30_000
    server.headersTimeout = 10_000
    // Longer than peers keep idle connections (IDLE_CONNECTION_MS): only a peer closes them.
    server.keepAliveTimeout = 90_000
    const address = await http.listen(config.port, config.host)
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
    const url = `${scheme}://${host}:${address.port}`
    // Where the local client may send the admin token (client/token.ts). Best effort, unsynced:
    // it says where this process listens, stale after any crash, and a client without it sends
    // no token (the node then says it needs one).
    const listening: Listening = {
      scheme,
      host: address.address,
      port: address.port,
      pid: process.pid,
      started: startTicks(process.pid),
    }
    try {
      writeFileSync(listeningFile, JSON.stringify(listening), { mode: 0o600 })
    } catch (err) {
      log.warn({ err }, `${LISTENING_FILE} not written: the local client will send no admin token`)
    }
    const advertise = config.advertise ?? advertisedUrl(config.host, address.port, scheme)
    // Said at once: the node may wait a while on its peers (a join, a restore) before it is ready.
    log.info({ url, advertise }, `bound to ${url}, advertised to peers as ${advertise}`)
    /** Rebuilds the ledger from the peers' replicas, asking `addresses`; the id it restored. */
    const restore = async (addresses: string[], nodeId?: string) => {
      // Its own transport: the node's network starts again under the restored id, once known.
      const asking = new HttpTransport({
        keys: keyring,
        selfId: identity.id,
        tls: config.tls,
      })
      const report = await restoreFromPeers({
        transport: asking,
        db,
        log,
        addresses,
        nodeId,
        name: identity.name,
        selfId: identity.id,
        advertise,
      }).finally(() => asking.close())
      identity.id = report.nodeId
      if (report.confirm) log.warn({ confirm: report.confirm }, `writes halted: ${report.confirm}`)
      log.info(
        { report },
        `restored: ledger row ${report.restoredTo.seq} from ${report.from.name}, verified; ${count(report.transfers?.rebuilt ?? 0, 'transfer')} rebuilt, ${count(report.transfers?.toldAgain ?? 0, 'message')} of them told their peers again; ${report.mayBeLost}`
      )
      return report
    }
    const backups = new NodeBackups(db, config.dataDir, config.backup ?? NO_SCHEDULE, log)
    // A restore begun here and not finished (the node stopped or was killed mid-way) goes on:
    // opened under the identity it gives up, the node joined its network as a second member of
    // the warehouse's name. (A backup's catch-up of its own id is catchUpBackup's, below.)
    const pending = (await db.call('ledger.pendingRestore', {})).data as {
      nodeId: string | null
      asked: boolean
    }
    const unfinished = pending.nodeId !== identity.id ? pending.nodeId : null
    // Asked, stopped before its peers said whose (killed while it asked them): asked again.
    const askedOnly = pending.asked && pending.nodeId === null && !config.restore
    if (askedOnly && config.join.length === 0) {
      throw new RestoreError(
        `A restore was asked of this node (${config.dataDir}) and not finished: start again with --join naming a peer, and it goes on (or, to start a new warehouse there instead, remove that directory: it holds nothing yet)`
      )
    }
    if (unfinished && config.restoreId && config.restoreId !== unfinished) {
      throw new RestoreError(
        `A restore of node ${unfinished} was begun in ${config.dataDir} and not finished: it goes on as ${unfinished} (--restore-id ${unfinished}), not ${config.restoreId}; to restore ${config.restoreId}, start on an empty data directory`
      )
    }
    if (unfinished && config.join.length === 0) {
      throw new RestoreError(
        `A restore of node ${unfinished} was begun in ${config.dataDir} and not finished: start again with --join naming a peer, and it goes on`
      )
    }
    if (config.restore || unfinished || askedOnly) {
      if (unfinished) log.warn({ nodeId: unfinished }, `resuming the restore of node ${unfinished}`)
      if (askedOnly) log.warn('resuming the restore asked of this node')
      log.info(
        { url },
        `listening on ${url} while restoring: clients get 503 RESTORING until the ledger is verified`
      )
      await restore(config.join, config.restoreId ?? unfinished ?? undefined).catch((err) => {
        // Running elsewhere meanwhile: this directory is a restore abandoned, not one to finish.
        if (unfinished && err instanceof RestoreError && err.kind === 'running') {
          throw new RestoreError(
            `${err.message}. This data directory (${config.dataDir}) holds a restore of it begun and not finished: if the warehouse runs elsewhere now, move this directory aside rather than finish it`
          )
        }
        // A restore that cannot be made (no peer holds that warehouse): the directory asks for it
        // at each start until it is finished, or removed.
        if ((askedOnly || config.restore) && err instanceof RestoreError) {
          throw new RestoreError(
            `${err.message} (the data directory ${config.dataDir} asks for this restore at each start until it is finished: to start a new warehouse there instead, remove it)`
          )
        }
        throw err
      })
    } else {
      await catchUpBackup({
        db,
        log,
        selfId: identity.id,
        join: config.join,
        url,
        networked: keyring.primary !== undefined,
        restore,
      })
    }

    /** Addresses heard running under this node's id, and when each last halted writes. */
    const impostors = new Map<string, number>()
    /** The node's network and routes under its identity as it stands; opened once it listens. */
    const openNetwork = async () => {
      const network = createNetwork({
        db,
        log,
        identity,
        keys: keyring,
        tls: config.tls,
        join: config.join,
        timing: config.timing,
        ownHead: () => events?.position(),
        // The start check's second half: a peer's replica that disagrees halts writes, unless an
        // admin accepted that very disagreement before (a node restored with rows lost).
        // Another process runs under this node's id (a frozen node restored elsewhere, then
        // thawed; a data directory copied): two writers as one warehouse fork its ledger. Writes
        // halt here, kept on disk, until an admin has stopped the one that should not run.
        onImpostor: (claim) => {
          // Once a minute at most for each address: an acceptance made while the other still
          // runs is met by the next word of it.
          const now = performance.now()
          if (now - (impostors.get(claim.address) ?? -Infinity) < IMPOSTOR_AGAIN_MS) return
          impostors.set(claim.address, now)
          const problem = `another node at ${claim.address} runs under this node's id (${identity.id}): two nodes writing as one warehouse fork its ledger. Stop the one that should not run (the restored one is the warehouse now), then accept here (POST /ledger/accept)`
          log.error({ claim }, problem)
          db.call('ledger.witnessHalt', { problems: [problem] }).catch((err: Error) =>
            log.error({ err }, 'the halt for another node under this id could not be written')
          )
        },
        onWitnessDisagrees: async (witness) => {
          const { data } = await db.call('ledger.witnessDiffers', {
            peer: witness.peer.id,
            holds: witness.holds ?? { seq: 0, hash: '' },
            differsFrom: witness.differsFrom,
            problem: witness.message,
          })
          const { accepted } = data as { accepted: { acceptedAt: string; reason: string } | null }
          if (accepted) {
            log.warn(
              { witness, accepted },
              `a witness disagrees with this ledger as it did when an admin accepted it (${accepted.acceptedAt}: ${accepted.reason}): ${witness.message}. Writes go on`
            )
            return
          }
          log.error(
            { witness },
            `a witness disagrees with this ledger: ${witness.message}. Writes are refused until an admin acts`
          )
        },
      })
      const { transport, membership, replication, stock } = network
      relay = network.relay
      events = new EventHub(db)
      // Opened in this order once the server listens, closed in the reverse one: the backup
      // schedule first (after the scheduled backup in progress), then the relay
      // (an exchange in flight is abandoned, its messages sent again on the next start), then
      // replication (its pullers stop before the feeds they read end), then the event hub (the
      // streams it feeds end before the network leaves and HTTP closes); the timers' lateness,
      // which deadlines read, is watched from the first to the last.
      const lateness = new TimerLateness()
      const services = new Services(
        [lateness, transport, membership, events, replication, network.relay, backups],
        log
      )
      app = createApp(routes, {
        db,
        log,
        node: identity,
        membership,
        events,
        metrics,
        replication,
        relay: network.relay,
        keys: network.keys,
        peers: stock,
        timersLateMs: () => lateness.p99Ms(),
        peerAuth: transport.auth,
        names,
        status,
        trustedProxies: config.trustedProxies,
        restore: restoreRunning,
        backups,
      })
      // A peer's requests come on kept connections; when its process dies they close at once.
      connectionOf = (socket: Socket) => ({
        address: socket.remoteAddress,
        from(peer: string) {
          http?.markPeer(socket)
          transport.watchInbound(socket, peer)
        },
        cutOff: () => socket.destroy(),
      })
      await services.open({ advertise })
      return { services, membership }
    }

    /**
     * POST /ledger/restore on a running node with no movement or item: its network closes (it
     * leaves under the identity it gives up, and nothing more is logged meanwhile), every request
     * gets 503 RESTORING, the ledger is rebuilt and verified, and the network opens again under
     * the restored id. A restore that fails reopens it as it was, but for the restore pending in
     * the worker: writes are refused and the log is not served to peers as this node's own until a
     * start with --join finishes it (db/ledger/restore.ts).
     */
    let underWay: Promise<RestoreReport> | null = null
    async function restoreRunning(nodeId?: string): Promise<RestoreReport> {
      if (underWay || status.stopping) {
        throw new HttpError('CONFLICT', 'A restore is under way, or the node is stopping')
      }
      // Claimed before the first await: a second request meanwhile (a double submit, two admins)
      // is refused above, never a second restore into the same database beside this one.
      const run = (async () => {
        const { counts } = (await db.call('node.info', {})).data as NodeInfo
        if (counts.movements + counts.items > 0) {
          throw new HttpError(
            'CONFLICT',
            `This node holds ${counts.movements} movements and ${counts.items} items: a restore only fills an empty node`
          )
        }
        const peers = current.membership.snapshot().members.filter((m) => m.id !== identity.id)
        const addresses = [...new Set([...config.join, ...peers.map((m) => m.address)])]
        if (addresses.length === 0) {
          throw new HttpError(
            'CONFLICT',
            'This node knows no peer to restore from: join them first'
          )
        }
        app = undefined
        await current.services.close()
        try {
          return await restore(addresses, nodeId)
        } finally {
          current = await openNetwork()
        }
      })()
      underWay = run
      try {
        return await run
      } catch (err) {
        throw err instanceof RestoreError ? new HttpError('CONFLICT', err.message) : err
      } finally {
        underWay = null
      }
    }

    let current = await openNetwork()
    const running = http
    let closing: Promise<void> | null = null
    return {
      url,
      port: address.port,
      advertise,
      identity,
      worker,
      db,
      backups,
      get membership() {
        return current.membership
      },
      server,
      close: () =>
        (closing ??= shutdown({
          http: running,
          status,
          services: () => current.services,
          events: () => events,
          alive: () =>
            current.membership
              .snapshot()
              .members.filter((m) => m.state === 'alive')
              .map((m) => m.id),
          worker,
          db,
          releaseDataDir,
          forgetListening,
        })),
    }
  } catch (err) {
    forgetListening()
    http?.server.close()
    await worker.stop()
    client?.disconnect('start-up failed')
    await releaseDataDir()
    throw err
  }
}

interface Parts {
  http: HttpServer
  status: { stopping: boolean }
  services: () => Services
  events: () => EventHub | undefined
  /** The members alive to this node now (the peers a stop waits for). */
  alive: () => string[]
  worker: DatabaseWorker
  db: DbClient
  releaseDataDir: () => Promise<void>
  /** Removes the file that tells the local client where this node listens. */
  forgetListening: () => void
}

/**
 * How a node stops, in this order: clients are turned away while peers are still answered; the
 * writes in flight settle; the peers following this node's log get its last rows (up to 2 s);
 * the services close (membership leaves, and every member hears "left", never "failed"; then the
 * transport); HTTP closes; the worker stops; the data directory is released.
 */
async function shutdown(parts: Parts) {
  const { http, status, services, events, alive, worker, db, releaseDataDir, forgetListening } =
    parts
  // From now on clients get 503 NODE_STOPPING, every answer to them closes its connection, and
  // their quiet connections are closed; the local client sends the admin token no more.
  status.stopping = true
  forgetListening()
  http.drainClients()
  // The writes already taken are committed (or have failed) before the feeds give the peers their
  // last pages, so no acknowledged write is left out of their replicas when this node leaves.
  await db.writesSettled(5_000)
  // Every feed answers at once from now on: the peers that follow this node get its last rows
  // before they hear it left (then they ask no more).
  events()?.release()
  const following = new Set(alive())
  await events()?.peersCaughtUp(2_000, (peer) => following.has(peer))
  // Leave while this node still answers its peers.
  await services().close()
  // Requests in flight get up to 10 s to finish; connections still open after that are cut.
  await http.close(10_000)
  await worker.stop()
  db.disconnect('node stopped')
  await releaseDataDir()
}
