// The worker's figures for Prometheus: how its batches go (db/batch.ts records each one), and how
// deep the transfers' outbox is. The runtime asks for them at each scrape (node.metrics) and
// serves them with its own at GET /metrics: the worker is a process of its own, with no port.
import type { Knex } from 'knex'
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { WorkerFigures } from './contract/index.ts'
import { diskFull } from './disk-full.ts'
import { ledgerStatus } from './ledger/state.ts'
import { withSql } from './sql.ts'
import { list as listQueues } from './operations/queues.ts'

/** Whether a batch ran in a write transaction (one commit) or read only. */
export type BatchKind = 'write' | 'read'

export class WorkerMetrics {
  readonly registry = new Registry()
  private readonly envelopes = new Histogram({
    name: 'almacen_db_batch_envelopes',
    help: 'Envelopes executed together in one batch (group commit: one commit for a write batch)',
    labelNames: ['kind'],
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
    registers: [this.registry],
  })
  private readonly seconds = new Histogram({
    name: 'almacen_db_batch_seconds',
    help: 'Time to execute a batch, its commit included',
    labelNames: ['kind'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  })
  private readonly commits = new Histogram({
    name: 'almacen_db_commit_seconds',
    help: "Time of a write batch's COMMIT alone (the fsync the batch shares)",
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  })
  private readonly opSeconds = new Counter({
    name: 'almacen_db_op_seconds_total',
    help: 'Time spent executing each operation, commits aside; a run of several operations shares its time among them by their envelopes',
    labelNames: ['op'],
    registers: [this.registry],
  })
  private readonly opEnvelopes = new Counter({
    name: 'almacen_db_op_envelopes_total',
    help: 'Envelopes executed, per operation',
    labelNames: ['op'],
    registers: [this.registry],
  })
  private readonly failures = new Counter({
    name: 'almacen_db_batch_failures_total',
    help: 'Write batches whose transaction failed, so that nothing in them was applied',
    registers: [this.registry],
  })

  // What makes GET /health say "degraded" (its answer is still 200: reads go on), for an alert.
  private readonly writesRefused = new Gauge({
    name: 'almacen_ledger_writes_refused',
    help: 'Whether the ledger refuses writes (1): halted at start or by a verify; /health says degraded',
    registers: [this.registry],
  })
  private readonly full = new Gauge({
    name: 'almacen_disk_full',
    help: "Whether writes fail for want of space on the data directory's disk (1); /health says degraded",
    registers: [this.registry],
  })

  /** The ledger's state as /health reads it, set at each scrape. */
  ledger(writesRefused: boolean, full: boolean): void {
    this.writesRefused.set(writesRefused ? 1 : 0)
    this.full.set(full ? 1 : 0)
  }

  /** One batch done: its size, its time (ms) and, for a write batch, its commit's (ms). */
  batch(kind: BatchKind, size: number, ms: number, commitMs?: number): void {
    this.envelopes.observe({ kind }, size)
    this.seconds.observe({ kind }, ms / 1000)
    if (commitMs !== undefined) this.commits.observe(commitMs / 1000)
  }

  /** One run of envelopes executed together (db/batch.ts): its operations and its time (ms). */
  run(ops: string[], ms: number): void {
    const counts = new Map<string, number>()
    for (const op of ops) counts.set(op, (counts.get(op) ?? 0) + 1)
    for (const [op, n] of counts) {
      this.opSeconds.inc({ op }, (ms / 1000) * (n / ops.length))
      this.opEnvelopes.inc({ op }, n)
    }
  }

  batchFailed(): void {
    this.failures.inc()
  }

  /**
   * The worker process's own figures (memory, CPU, event loop), named almacen_worker_…. Its event
   * loop is sampled every 50 ms, not prom-client's 10: each sample wakes an idle process, and with
   * the runtime's two samplers at 50 ms too a node alone, idle 60–90 s after its start, took 4.3 ms
   * of CPU a second against 14.1 (README, The peer network). The lag figures are each tick's
   * interval, so an idle loop's now read about 0.05 s.
   */
  collectProcess(): void {
    collectDefaultMetrics({
      register: this.registry,
      prefix: 'almacen_worker_',
      eventLoopMonitoringPrecision: 50,
    })
  }

  /** Every figure in Prometheus's text format. */
  exposition(): Promise<string> {
    return this.registry.metrics()
  }
}

// Per database, not per process, as the ledger's state (db/ledger/state.ts): tests run several
// workers in one process. A transaction's client shares its root's config object.
const byDatabase = new WeakMap<object, WorkerMetrics>()

export function workerMetrics(db: Knex): WorkerMetrics {
  const key = db.client.config as object
  let metrics = byDatabase.get(key)
  if (!metrics) byDatabase.set(key, (metrics = new WorkerMetrics()))
  return metrics
}

/** node.metrics: the worker's figures as Prometheus reads them, and the outbox counted now. */
export async function metricsOp(db: Knex): Promise<WorkerFigures> {
  const { outbox } = await outboxDepth(db)
  const { queues } = await listQueues(db)
  const metrics = workerMetrics(db)
  metrics.ledger(ledgerStatus(db).writes === 'refused', diskFull() !== null)
  const subscriptions = (await db('topicSubscriptions')
    .select('name', 'missed')
    .orderBy('name')) as NonNullable<WorkerFigures['subscriptions']>
  return { text: await metrics.exposition(), outbox, queues, subscriptions }
}

/** outbox.depth: the messages not yet delivered, counted now per destination. */
export async function outboxDepth(db: Knex): Promise<{ outbox: WorkerFigures['outbox'] }> {
  const outbox = await withSql(db, (sql) =>
    sql.all<{ peer: string; pending: number }>(
      `SELECT to_node AS peer, count(*) AS pending FROM outbox WHERE delivered_at IS NULL
       GROUP BY to_node`
    )
  )
  return { outbox }
}
