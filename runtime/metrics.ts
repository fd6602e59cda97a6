// The node's figures for Prometheus (GET /metrics): what the runtime counts as requests pass
// (runtime/stages/count-request.ts), what it knows of its worker, the process's own figures, and
// at each scrape what the handler reads of the network and the worker's figures (node.metrics).
import { MEMBER_STATES, type Member, type WorkerFigures } from '../db/contract/index.ts'
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'

/** The label of a request that matched no route (or was refused before routing): one for all. */
export const UNMATCHED = 'unmatched'

/** What one scrape reads of the node as it stands; the /metrics handler gathers it from ctx. */
export interface ScrapeFigures {
  /** The worker's figures as it gave them (node.metrics); null when it did not answer. */
  worker: WorkerFigures | null
  /** The peer list, this node included. */
  members: Member[]
  /** Each peer's replica as GET /replicas shows it; null when the worker did not answer. */
  replicas: { nodeId: string; name: string; state: string; rowsBehind: number }[] | null
  /** The relay's lanes, one per destination peer. */
  lanes: { peer: string; name: string; failures: number; refused: number }[]
}

/** What the node's figures are read from besides the requests: its database worker. */
export interface MetricsSources {
  /** Times the worker died and was started again since the node started. */
  workerRestarts(): number
}

// The process's own figures (CPU, memory, event loop, GC), once per process: tests run several
// nodes in one, and each collector keeps an event-loop monitor running.
let processRegistry: Registry | undefined
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry()
    // Sampling the event loop every 50 ms, not 10, as the worker does (db/metrics.ts: why).
    collectDefaultMetrics({ register: processRegistry, eventLoopMonitoringPrecision: 50 })
  }
  return processRegistry
}

/** The node's metrics: its own registry, so that nodes in one process keep apart. */
export class NodeMetrics {
  /** Prometheus's text format, version 0.0.4. */
  readonly contentType = Registry.PROMETHEUS_CONTENT_TYPE
  private readonly registry = new Registry()
  private readonly requests = new Histogram({
    name: 'almacen_http_request_duration_seconds',
    help:
      'Requests answered, by method, route pattern and status: the time until the answer ' +
      '(a stream: until it began)',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  })

  constructor(sources: MetricsSources = { workerRestarts: () => 0 }) {
    processMetrics()
    new Counter({
      name: 'almacen_worker_restarts_total',
      help: 'Times the database worker died and was started again',
      registers: [this.registry],
      collect() {
        this.reset()
        this.inc(sources.workerRestarts())
      },
    })
  }

  /** One request answered: `route` is the pattern it matched (`/items/:sku`), never its path. */
  request(method: string, route: string, status: number, ms: number): void {
    this.requests.observe({ method, route, status }, ms / 1000)
  }

  /** Every figure in Prometheus's text format, those of the scrape read now. */
  async exposition(figures: ScrapeFigures): Promise<string> {
    const scrape = new Registry()
    const gauge = (name: string, help: string, labelNames: string[] = []) =>
      new Gauge({ name, help, labelNames, registers: [scrape] })

    gauge('almacen_db_up', 'Whether the database worker answered this scrape (1) or not (0)').set(
      figures.worker === null ? 0 : 1
    )
    const members = gauge(
      'almacen_members',
      'Members of the peer list by state, this node included',
      ['state']
    )
    for (const state of MEMBER_STATES) {
      members.set({ state }, figures.members.filter((m) => m.state === state).length)
    }
    if (figures.replicas) {
      const behind = gauge(
        'almacen_replica_rows_behind',
        "Ledger rows of a peer's ledger known to exist and not yet in its replica here",
        ['peer', 'name']
      )
      const states = gauge('almacen_replicas', 'Replicas held here by state', ['state'])
      for (const r of figures.replicas) {
        behind.set({ peer: r.nodeId, name: r.name }, r.rowsBehind)
        states.inc({ state: r.state })
      }
    }
    const failures = gauge(
      'almacen_relay_lane_failures',
      'Failed attempts in a row to carry the outbox to a peer (0 once it answers)',
      ['peer', 'name']
    )
    const refused = gauge(
      'almacen_relay_refused_messages',
      'Messages a peer answered with a refusal since this node started (kept in the outbox as refused)',
      ['peer', 'name']
    )
    for (const lane of figures.lanes) {
      failures.set({ peer: lane.peer, name: lane.name }, lane.failures)
      refused.set({ peer: lane.peer, name: lane.name }, lane.refused)
    }
    if (figures.worker) {
      const pending = gauge(
        'almacen_outbox_pending_messages',
        'Transfer messages in the outbox not yet delivered, by destination (0 for each lane idle)',
        ['peer', 'name']
      )
      const names = new Map(figures.members.map((m) => [m.id, m.name]))
      for (const lane of figures.lanes) pending.set({ peer: lane.peer, name: lane.name }, 0)
      for (const { peer, pending: n } of figures.worker.outbox) {
        pending.set({ peer, name: names.get(peer) ?? '' }, n)
      }
    }
    if (figures.worker?.queues) {
      const messages = gauge(
        'almacen_queue_messages',
        'Messages in each queue by state: ready, delayed, in_flight (delivered, not acknowledged), dead_letters',
        ['queue', 'state']
      )
      for (const q of figures.worker.queues) {
        messages.set({ queue: q.name, state: 'ready' }, q.ready)
        messages.set({ queue: q.name, state: 'delayed' }, q.delayed)
        messages.set({ queue: q.name, state: 'in_flight' }, q.inFlight)
        messages.set({ queue: q.name, state: 'dead_letters' }, q.deadLetters)
      }
    }
    if (figures.worker?.subscriptions) {
      const missed = gauge(
        'almacen_subscription_missed_messages',
        'Messages each subscription did not get because it was full (1,000,000): it takes no more',
        ['subscription']
      )
      for (const s of figures.worker.subscriptions) missed.set({ subscription: s.name }, s.missed)
    }
    const own = await Registry.merge([this.registry, processMetrics(), scrape]).metrics()
    return figures.worker ? `${own}\n${figures.worker.text}` : own
  }
}
