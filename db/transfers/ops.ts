// The transfer operations of the worker (db/contract/transfers.ts). Each loads a record, takes
// one step of its state machine (states.ts) and writes what the step decided, all in the batch's
// transaction: the ledger rows through the one posting path (db/ledger/record.ts: each row a
// movement.recorded event), the record, the outbox messages, and a transfer.changed event. A
// refusal throws before anything is kept (the op's savepoint rolls back). Peers' messages arrive
// through the inbox, each applied exactly once: its answer is stored in the idempotency store
// (scope `peer:<node id>`, for ever) in the same transaction as its effect.
import { randomUUID } from 'node:crypto'
import type { Knex } from 'knex'
import { failpoint } from '../../lib/failpoint.ts'
import type { Payload, Result } from '../contract/index.ts'
import {
  MAX_MESSAGE_BYTES,
  messagePayloads,
  type InboxResult,
  type TransferMessageEnvelope,
} from '../contract/transfers.ts'
import { DomainError, itemNotFound } from '../domain-error.ts'
import { fingerprint, loadKeys, storeKeys } from '../idempotency.ts'
import type { KindInput } from '../ledger/kinds.ts'
import { inLedgerRun, type LedgerRun } from '../ledger/record.ts'
import { create as createItem } from '../operations/items.ts'
import { decodeCursorStrings, page } from '../paging.ts'
import { inSavepoint, inSavepointOf, withSql, type Sql } from '../sql.ts'
import { refusalOf, type Outcome } from '../outcome.ts'
import { postingOperation } from '../operations/run.ts'
import * as S from './states.ts'
import {
  detail,
  enqueueStatement,
  fitting,
  load,
  loadMany,
  logged,
  messageBytes,
  REFUSED_BY_PEER,
  REFUSED_CODE,
  savedAs,
  saveStatements,
  view,
  type Loaded,
} from './store.ts'
import { actorOf } from '../actor.ts'
import { receiveFederated } from '../operations/topics.ts'
import { senderOf } from './rebuild.ts'

type Ok = Extract<S.Step, { ok: true }>

const refusal = (step: Extract<S.Step, { ok: false }>) =>
  new DomainError(step.code, step.message, step.details)

function noTransfer(id: string): DomainError {
  return new DomainError('NOT_FOUND', `No transfer ${id} here`, [
    { path: 'id', message: `no transfer ${id}` },
  ])
}

/** The refusals of a run of postings, as one: every line short, with its shortfall. */
function postingRefusal(refusals: DomainError[]): DomainError {
  if (refusals.length === 1) return refusals[0]
  const code = refusals.every((r) => r.code === 'INSUFFICIENT_STOCK')
    ? 'INSUFFICIENT_STOCK'
    : refusals[0].code
  return new DomainError(
    code,
    refusals.map((r) => r.message).join('; '),
    refusals.map((r) => r.details)
  )
}

/** Refuses a step whose message the peer could not read (MAX_MESSAGE_BYTES), before it writes. */
function fitsOneMessage(id: string, e: { send: string; payload: unknown }) {
  const bytes = messageBytes(e.payload)
  if (bytes <= MAX_MESSAGE_BYTES) return
  const kib = (n: number) => Math.ceil(n / 1024)
  throw new DomainError(
    'VALIDATION_FAILED',
    `Transfer ${id}'s ${e.send.replace('transfer.', '')} message would be ${kib(bytes)} KiB, more than the ${kib(MAX_MESSAGE_BYTES)} KiB a warehouse takes in one message: split the lines over several transfers (or receipts), or shorten their notes`,
    [
      {
        path: 'lines',
        message: `make a message of ${kib(bytes)} KiB, over ${kib(MAX_MESSAGE_BYTES)} KiB`,
      },
    ]
  )
}

/** A step to write: the record before it (null: a new one), what it decided, who made it. */
interface Decided {
  before: Loaded | null
  step: Ok
  /** Names its failpoints (lib/failpoint.ts). */
  name: string
  /** Who made the step: its rows record it (db/actor.ts). */
  actor: string | undefined
}

/** The ledger rows a step posts, in its effects' order. */
function rowsOf({ step: { record, effects }, actor }: Decided): KindInput[] {
  return effects.flatMap((e) =>
    'post' in e
      ? [
          {
            type: e.post,
            sku: e.sku,
            quantity: e.quantity,
            // A receipt of an excess is B's own, not the transfer's: it names it in its reference.
            ...(e.post === 'receipt' ? {} : { transferId: record.id, counterparty: record.peer }),
            reference: e.reference ?? record.reference,
            note: e.note ?? '',
            actor,
          } as KindInput,
        ]
      : []
  )
}

/**
 * Writes what steps decided, each whole or refused whole (its stock short, its message too
 * large), the others going on (planAll): the rows, balances, records, outbox messages and a
 * transfer.changed event each go to SQLite in one script. The record of each step as saved, or
 * its refusal. Every caller runs inside a savepoint that a throw undoes, with whatever it wrote
 * before (an item learnt): the worker's for a REST step (db/execute.ts), applyOne's and
 * applyRun's for the inbox. The script takes none of its own.
 */
function commitAll(db: Knex, sql: Sql, steps: Decided[]): Promise<(Loaded | DomainError)[]> {
  const skus = steps.flatMap((d) => rowsOf(d).map((row) => row.sku))
  return inLedgerRun(db, sql, skus, (run) => planAll(steps, run), { enclosed: true })
}

/**
 * What steps decided, each whole or refused whole, left with `run` (nothing written yet): the
 * ledger decides every step's rows first (a refusal there leaves nothing of its step in the run),
 * then the records, outbox messages and a transfer.changed event each join the run. The record
 * of each step as it will be saved, or its refusal.
 */
function planAll(steps: Decided[], run: LedgerRun): (Loaded | DomainError)[] {
  const results: (Loaded | DomainError | null)[] = steps.map((d) => {
    try {
      for (const e of d.step.effects) if ('send' in e) fitsOneMessage(d.step.record.id, e)
      return null
    } catch (err) {
      if (err instanceof DomainError) return err
      throw err
    }
  })
  const fitting = steps.flatMap((d, i) => (results[i] === null ? [i] : []))
  const posted = run.post(fitting.map((i) => rowsOf(steps[i])))
  const kept = fitting.flatMap((i, k) => {
    const p = posted[k]
    if (!p.ok) results[i] = postingRefusal(p.refusals)
    // Decided, nothing written yet: a crash here or after leaves the batch uncommitted.
    else if (p.movements.length > 0) failpoint(`${steps[i].name}.after-post`)
    return p.ok ? [steps[i]] : []
  })
  const now = new Date().toISOString()
  const outbox = enqueueStatement(
    kept.flatMap(({ step: { record, effects } }) =>
      effects.flatMap((e) =>
        'send' in e
          ? [{ to: record.peer, kind: e.send, transferId: record.id, payload: e.payload }]
          : []
      )
    ),
    now
  )
  for (const d of kept)
    if (d.step.effects.some((e) => 'send' in e)) failpoint(`${d.name}.after-outbox`)
  const saved = kept.map((d) => savedAs(d.step.record, d.before, now))
  run.write(
    ...saveStatements(
      kept.map((d) => {
        // A record undone (S.undone) that a step started afresh: its lines and receipts go.
        const replaced = d.before !== null && S.undone(d.before.record) && !S.undone(d.step.record)
        const known = replaced ? [] : (d.before?.record.receipts ?? [])
        return {
          record: d.step.record,
          known: new Set(known.map((r) => r.receiptId)),
          replaced,
        }
      }),
      now
    ),
    ...(outbox ? [outbox] : [])
  )
  run.event(
    ...saved.map((loaded) => ({
      type: 'transfer.changed' as const,
      subject: loaded.record.id,
      data: logged(loaded),
      createdAt: now,
    }))
  )
  const byId = new Map(saved.map((loaded) => [loaded.record.id, loaded]))
  return steps.map((d, i) => results[i] ?? (byId.get(d.step.record.id) as Loaded))
}

/** Writes what one step decided (see `commitAll`); its refusal thrown. */
async function commit(
  db: Knex,
  sql: Sql,
  before: Loaded | null,
  step: Ok,
  name: string,
  actor: string | undefined
): Promise<Loaded> {
  const [result] = await commitAll(db, sql, [{ before, step, name, actor }])
  if (result instanceof DomainError) throw result
  return result
}

async function mustLoad(sql: Sql, id: string): Promise<Loaded> {
  const loaded = await load(sql, id)
  if (!loaded) throw noTransfer(id)
  return loaded
}

function onceEach(lines: { sku: string }[]): void {
  const seen = new Set<string>()
  lines.forEach((line, i) => {
    if (seen.has(line.sku)) {
      throw new DomainError('VALIDATION_FAILED', `${line.sku} is listed twice`, [
        { path: `lines.${i}.sku`, message: `lists ${line.sku} twice` },
      ])
    }
    seen.add(line.sku)
  })
}

/**
 * transfers.create over a run of payloads (one is a run of one), alone or with the batch's other
 * ledger writes (postTogether): the catalogue and the ledger's state read once, each transfer
 * decided in memory on the stock the writes before it left, all of them written in one script
 * (planAll). A refused transfer (its stock short, an item unknown, this node as destination)
 * leaves nothing of it written and disturbs no other.
 */
export const create = postingOperation<'transfers.create'>({
  skus: (p) => p.lines.map((l) => l.sku),
  plan(payloads, run) {
    const { id: here, name: fromName } = run.state.node
    const decided = payloads.map((p): Decided | DomainError => {
      try {
        return {
          before: null,
          step: decideCreate(p, here, fromName, run.state.items),
          name: 'transfers.create',
          actor: actorOf(p),
        }
      } catch (err) {
        if (err instanceof DomainError) return err
        throw err
      }
    })
    const steps = decided.filter((d): d is Decided => !(d instanceof DomainError))
    const results = planAll(steps, run)
    let k = 0
    return decided.map((d): Outcome => {
      const result = d instanceof DomainError ? d : results[k++]
      return result instanceof DomainError ? refusalOf(result) : { ok: true, data: view(result) }
    })
  },
})

/** An item as a dispatch message carries it, for a receiver that does not know it. */
type Item = { name: string; unit: string; description: string }

/** A new transfer's first step, or its refusal thrown. */
function decideCreate(
  p: Payload<'transfers.create'>,
  here: string,
  fromName: string,
  bySku: Map<string, Item>
): Ok {
  onceEach(p.lines)
  if (p.to === here) {
    throw new DomainError(
      'INVALID_DESTINATION',
      'A transfer goes to another warehouse, not to this one',
      [{ path: 'to', message: 'is this warehouse itself' }]
    )
  }
  const missing = p.lines.findIndex((l) => !bySku.has(l.sku))
  if (missing >= 0) throw itemNotFound(p.lines[missing].sku, `lines.${missing}.sku`)
  const step = S.create({
    id: randomUUID(),
    peer: p.to,
    peerName: p.toName,
    lines: p.lines,
    reference: p.reference,
    note: p.note,
    items: Object.fromEntries(p.lines.map((l) => [l.sku, bySku.get(l.sku) as Item])),
    fromName,
  })
  if (!step.ok) throw refusal(step)
  return step
}

/** Which of the SKUs of `lines` this catalogue has. */
async function skusHere(sql: Sql, lines: { sku: string }[]): Promise<Set<string>> {
  const rows = await sql.all<{ sku: string }>(
    'SELECT sku FROM items WHERE sku IN (SELECT value FROM json_each(?))',
    [JSON.stringify(lines.map((l) => l.sku))]
  )
  return new Set(rows.map((r) => r.sku))
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

async function detailOf(sql: Sql, id: string) {
  const found = await detail(sql, id)
  if (!found) throw noTransfer(id)
  return found
}

export async function receive(
  db: Knex,
  p: Payload<'transfers.receive'>
): Promise<Result<'transfers.receive'>> {
  return withSql(db, async (sql) => {
    onceEach(p.lines)
    const loaded = await load(sql, p.id)
    // An undone record stands for nothing, but a retried receipt of it is still that receipt,
    // answered as before (its receipt id, from the same sender).
    const retried = (r: S.TransferRecord) =>
      r.receipts.some((x) => x.receiptId === p.receiptId) && (!p.from || p.from === r.peer)
    const before = loaded && (!S.undone(loaded.record) || retried(loaded.record)) ? loaded : null
    if (before && p.from && before.record.direction === 'in' && before.record.peer !== p.from) {
      throw new DomainError(
        'VALIDATION_FAILED',
        `Transfer ${p.id} comes from ${before.record.peerName || before.record.peer}, not ${p.fromName || p.from}`,
        [{ path: 'from', message: `is not the warehouse transfer ${p.id} comes from` }]
      )
    }
    // Before the dispatch, the id comes from the delivery note: it must be one a sender makes.
    if (!before && !UUID.test(p.id)) {
      throw new DomainError(
        'VALIDATION_FAILED',
        `${p.id} is not a transfer id as a sender makes them (a UUID such as 0f8e4c52-9a1b-4d2e-8c3f-5b6a7d8e9f01): check the delivery note`,
        [{ path: 'id', message: 'must be a UUID' }]
      )
    }
    const { from, fromName } = before ? p : await senderByReplica(sql, p)
    const sender = from ?? before?.record.peer
    if (!before?.record.announced && sender) {
      await knowItems(db, sql, p.lines, sender, fromName || before?.record.peerName || sender)
    }
    const step = S.receive(before?.record ?? null, {
      id: p.id,
      peer: from,
      peerName: fromName ?? '',
      receiptId: p.receiptId ?? randomUUID(),
      lines: p.lines,
      final: p.final,
    })
    if (!step.ok) throw refusal(step)
    if (step.changed) await commit(db, sql, loaded, step, 'transfers.receive', actorOf(p))
    return detailOf(sql, p.id)
  })
}

/**
 * The sender of a transfer received before its dispatch has arrived, when the sender's ledger as
 * replicated here already shows it leaving: `from` may then be left out, and a `from` that names
 * another warehouse, or a transfer to another warehouse, is refused, saying whose ledger shows
 * what. With no replica showing it (not replicated yet, or an id no one sent), `from` is taken as
 * given.
 */
async function senderByReplica(
  sql: Sql,
  p: Payload<'transfers.receive'>
): Promise<{ from?: string; fromName?: string }> {
  const [sent] = await sql.all<{
    sender: string
    senderName: string
    to: string
    toName: string
    seq: number
    here: string
  }>(
    `SELECT r.node_id AS sender, coalesce(s.name, nullif(o.name, ''), r.node_id) AS senderName,
       r.counterparty AS "to", coalesce(d.name, nullif(t.name, ''), r.counterparty) AS toName, r.seq AS seq,
       (SELECT value FROM node_settings WHERE key = 'id') AS here
     FROM replica_movements r
     LEFT JOIN members s ON s.id = r.node_id
     LEFT JOIN replicas o ON o.node_id = r.node_id
     LEFT JOIN members d ON d.id = r.counterparty
     LEFT JOIN replicas t ON t.node_id = r.counterparty
     WHERE r.type = 'transfer_out' AND r.transfer_id = ?
     ORDER BY r.node_id = ? DESC LIMIT 1`,
    [p.id, p.from ?? '']
  )
  // Only its sender's ledger can hold a transfer's id (ids are UUIDs it makes); should another's
  // hold it too, the one named in `from` is taken.
  if (!sent) return p
  const shown = `${sent.senderName}'s ledger, as replicated here, row #${sent.seq}`
  if (sent.to !== sent.here) {
    throw new DomainError(
      'VALIDATION_FAILED',
      `Transfer ${p.id} was sent by ${sent.senderName} to ${sent.toName}, not to this warehouse (${shown}): check the delivery note`,
      [{ path: 'id', message: `is a transfer to ${sent.toName}` }]
    )
  }
  if (p.from && p.from !== sent.sender) {
    throw new DomainError(
      'VALIDATION_FAILED',
      `Transfer ${p.id} comes from ${sent.senderName}, not ${p.fromName || p.from} (${shown})`,
      [{ path: 'from', message: `is not the warehouse transfer ${p.id} comes from` }]
    )
  }
  return { from: sent.sender, fromName: sent.senderName }
}

/**
 * Goods received before the dispatch has arrived (which would bring the items it carries): an
 * item this catalogue lacks is taken from the sender's as this node's replica holds it; refused,
 * saying what to do, when the replica does not have it either. A line with nothing received
 * (only damaged or short) posts no row and needs no item.
 */
async function knowItems(
  db: Knex,
  sql: Sql,
  lines: { sku: string; received: number }[],
  sender: string,
  senderName: string
) {
  const have = await skusHere(sql, lines)
  for (const [index, { sku, received }] of lines.entries()) {
    if (received === 0 || have.has(sku)) continue
    const [theirs] = await sql.all<{
      name: string
      unit: string
      description: string
    }>(
      `SELECT name, unit, description FROM replica_items
       WHERE node_id = ? AND sku = ?`,
      [sender, sku]
    )
    if (!theirs) {
      throw new DomainError(
        'NOT_FOUND',
        `No item with SKU ${sku} here, nor in ${senderName}'s catalogue as replicated here: add it to the catalogue, or wait for the sender's dispatch, which brings it`,
        [{ path: `lines.${index}.sku`, message: `no item with SKU ${sku}` }]
      )
    }
    await createItem(db, { sku, ...theirs })
  }
}

/** A step on a record that must exist, by REST: its detail after. */
function onRecord<O extends 'transfers.cancel' | 'transfers.return' | 'transfers.writeOff'>(
  name: O,
  take: (record: S.TransferRecord, p: Payload<O>) => S.Step
) {
  return (db: Knex, p: Payload<O>): Promise<Result<O>> =>
    withSql(db, async (sql) => {
      const before = await mustLoad(sql, p.id)
      const step = take(before.record, p)
      if (!step.ok) throw refusal(step)
      if (step.changed) await commit(db, sql, before, step, name, actorOf(p))
      return (await detailOf(sql, p.id)) as Result<O>
    })
}

export async function reject(
  db: Knex,
  p: Payload<'transfers.reject'>
): Promise<Result<'transfers.reject'>> {
  return withSql(db, async (sql) => {
    const before = await mustLoad(sql, p.id)
    const refused = await senderRefused(sql, p.id)
    if (refused && !before.record.announced) await notSentHere(sql, before.record)
    const step = S.reject(before.record, p, refused)
    if (!step.ok) throw refusal(step)
    if (step.changed) await commit(db, sql, before, step, 'transfers.reject', actorOf(p))
    return detailOf(sql, p.id)
  })
}

/**
 * Refuses to undo receipts whose sender refused them when its ledger, as replicated here, shows
 * the transfer sent to this warehouse: the goods are the transfer's, and the sender has lost its
 * record of it (its disk, restored from its peers' replicas of its ledger, which hold no
 * records). Undone, they would stay in transit at the sender for ever.
 */
async function notSentHere(sql: Sql, record: S.TransferRecord): Promise<void> {
  const [row] = await sql.all<{ seq: number }>(
    `SELECT seq FROM replica_movements
     WHERE node_id = ? AND type = 'transfer_out' AND transfer_id = ?
       AND counterparty = (SELECT value FROM node_settings WHERE key = 'id')
     LIMIT 1`,
    [record.peer, record.id]
  )
  if (!row) return
  const sender = record.peerName || record.peer
  throw new DomainError(
    'ALREADY_RECEIVED',
    `Transfer ${record.id} cannot be rejected: ${sender}'s ledger, as replicated here, row #${row.seq}, shows it sent to this warehouse, so the receipt stands; ${sender} has lost its record of it (a restore?), which its staff put right`,
    { receipts: record.receipts.map((r) => r.receiptId) }
  )
}

/**
 * Whether the sender answered every receipt B sent it of this transfer, and refused them as a
 * transfer it does not have with B (NOT_FOUND): none still on its way, none it applied.
 */
async function senderRefused(sql: Sql, id: string): Promise<boolean> {
  const [row] = await sql.all<{ refused: number; other: number }>(
    `SELECT count(*) FILTER (WHERE ${REFUSED_CODE} IS 'NOT_FOUND') AS refused,
       count(*) FILTER (WHERE ${REFUSED_CODE} IS NOT 'NOT_FOUND') AS other
     FROM outbox WHERE transfer_id = ? AND kind = 'transfer.received'`,
    [id]
  )
  return row.refused > 0 && row.other === 0
}
export const cancel = onRecord('transfers.cancel', (record, p) => S.requestCancel(record, p))
export const bookReturn = onRecord('transfers.return', (record, p) => {
  if (p.lines) onceEach(p.lines)
  return S.bookReturn(record, p)
})
export const writeOff = onRecord('transfers.writeOff', (record, p) => {
  if (p.lines) onceEach(p.lines)
  return S.writeOffDueBack(record, p)
})

export async function get(db: Knex, { id }: { id: string }): Promise<Result<'transfers.get'>> {
  return withSql(db, (sql) => detailOf(sql, id))
}

export async function known(db: Knex, { id }: { id: string }): Promise<Result<'transfers.known'>> {
  return withSql(db, async (sql) => {
    // Known here: sent from here, or announced by its sender's message. A record made by receipts
    // on trust (never announced; undone, or refused and not yet undone) is checked as an unknown
    // id would be: with its sender up, a made-up id is not received into again.
    const loaded = await load(sql, id)
    const [sent] = await sql.all<{ sender: string }>(
      `SELECT node_id AS sender FROM replica_movements
       WHERE type = 'transfer_out' AND transfer_id = ? LIMIT 1`,
      [id]
    )
    const here = loaded !== null && (loaded.record.direction === 'out' || loaded.record.announced)
    const onTrustFrom = loaded && !here && loaded.record.peer ? loaded.record.peer : null
    return { here, sentBy: sent?.sender ?? null, onTrustFrom }
  })
}

export async function list(
  db: Knex,
  f: Payload<'transfers.list'>
): Promise<Result<'transfers.list'>> {
  return withSql(db, async (sql) => {
    const where: string[] = []
    const params: unknown[] = []
    if (f.direction) (where.push('t.direction = ?'), params.push(f.direction))
    if (f.state) (where.push('t.state = ?'), params.push(f.state))
    if (f.peer) {
      where.push('(t.peer = ? OR t.peer_name = ? COLLATE NOCASE)')
      params.push(f.peer, f.peer)
    }
    if (f.sku) {
      where.push('EXISTS (SELECT 1 FROM transfer_lines l WHERE l.transfer_id = t.id AND l.sku = ?)')
      params.push(f.sku)
    }
    if (f.cursor) {
      const [at, id] = decodeCursorStrings(f.cursor, 2)
      where.push('(t.created_at, t.id) < (?, ?)')
      params.push(at, id)
    }
    const rows = await sql.all<{ id: string; createdAt: string }>(
      `SELECT id, created_at AS createdAt FROM transfers t
       ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY t.created_at DESC, t.id DESC LIMIT ?`,
      [...params, f.limit + 1]
    )
    const { rows: shown, nextCursor } = page(rows, f.limit, (r) =>
      JSON.stringify([r.createdAt, r.id])
    )
    const loaded = await Promise.all(shown.map((r) => load(sql, r.id)))
    return { transfers: loaded.map((l) => view(l as Loaded)), nextCursor }
  })
}

// ---------------------------------------------------------------------------------------------
// The inbox.

type Message = TransferMessageEnvelope

/** The lines of the dispatches among `messages`, each with its transfer's id. */
function dispatchedLines(messages: Message[]) {
  return messages.flatMap((m) =>
    m.kind === 'transfer.dispatched'
      ? messagePayloads[m.kind]
          .parse(m.payload)
          .lines.map((line) => ({ ...line, transferId: m.transferId }))
      : []
  )
}

/**
 * Each SKU the dispatches among `messages` carry that this node lacks enters its catalogue, as A
 * describes it.
 */
async function learnItems(db: Knex, sql: Sql, messages: Message[]) {
  const lines = dispatchedLines(messages)
  if (lines.length === 0) return
  const have = await skusHere(sql, lines)
  for (const { sku, item } of lines) {
    if (have.has(sku)) continue
    await createItem(db, { sku, ...item })
    have.add(sku)
  }
}

/**
 * Keeps on the lines the dispatches among `messages` wrote the unit each counts its item in, as
 * A named it: while the transfer is not settled, this node's unit of the item may not change to
 * another (db/operations/unit-rule.ts). After the step is written: its lines exist.
 */
async function keepUnits(sql: Sql, messages: Message[]) {
  const units = dispatchedLines(messages).map(({ transferId, sku, item }) => ({
    id: transferId,
    sku,
    unit: item.unit,
  }))
  if (units.length === 0) return
  await sql.run(KEEP_UNITS, [JSON.stringify(units)])
}

/**
 * The lines' units, each line found by its key: on the inbox's path, so a lookup per line,
 * never a list of every transfer that came in (an IN over them cost B 2.6 ms an apply with some
 * thousands, measured by the transfers bench).
 */
export const KEEP_UNITS = `UPDATE transfer_lines SET unit = j.value->>'unit' FROM json_each(?) AS j
  WHERE transfer_lines.transfer_id = j.value->>'id' AND transfer_lines.sku = j.value->>'sku'
    AND EXISTS (SELECT 1 FROM transfers t
      WHERE t.id = transfer_lines.transfer_id AND t.direction = 'in')`

/**
 * A message told again by a restored peer that asks for this side's own in return (`again`):
 * its step, and the messages of this side's steps of that transfer told again (S.toldAgain).
 */
async function answerAgain(sql: Sql, m: Message, step: S.Step): Promise<S.Step> {
  if (!step.ok || m.payload.again !== true) return step
  // Each within a message's size, or left out: never a reason to refuse the peer's own fact. One
  // the step sends already (a cancel answered) goes once.
  const sent = new Set(
    step.effects.flatMap((e) => ('send' in e ? [`${e.send} ${JSON.stringify(e.payload)}`] : []))
  )
  const told = fitting(S.toldAgain(step.record, await senderOf(sql, [step.record]))).filter(
    (e) => !sent.has(`${e.send} ${JSON.stringify(e.payload)}`)
  )
  return { ...step, effects: [...step.effects, ...told] }
}

/**
 * One message's step, on the record it names (refused if the sender is not its peer). A dispatch
 * taken names items the catalogue may lack: `learnItems` adds them before the step is written.
 */
function stepOf(from: string, fromName: string, told: Message, before: Loaded | null): S.Step {
  // `again` asks something of this side (answerAgain); it is no part of the fact.
  const { again: _, ...payload } = told.payload
  const m = { ...told, payload }
  const record = before && !S.undone(before.record) ? before.record : null
  const theirs = !record || record.peer === from
  if (!theirs) {
    return {
      ok: false,
      code: 'NOT_FOUND',
      message: `Transfer ${m.transferId} is not one with ${fromName || from}`,
    }
  }
  switch (m.kind) {
    case 'transfer.dispatched': {
      if (record && record.direction !== 'in') break
      const p = messagePayloads[m.kind].parse(m.payload)
      return S.dispatched(record, {
        id: m.transferId,
        peer: from,
        peerName: p.fromName || fromName,
        lines: p.lines,
        reference: p.reference,
        note: p.note,
      })
    }
    case 'transfer.cancel_requested': {
      if (record && record.direction !== 'in') break
      const p = messagePayloads[m.kind].parse(m.payload)
      return S.cancelRequested(record, {
        id: m.transferId,
        peer: from,
        peerName: fromName,
        reason: p.reason,
      })
    }
    case 'message.federated':
      break // applied on its own (applyOne), never a transfer's step
    default: {
      if (!record || record.direction !== 'out') break
      if (m.kind === 'transfer.received') {
        return S.outReceived(record, messagePayloads[m.kind].parse(m.payload))
      }
      if (m.kind === 'transfer.rejected') {
        return S.outRejected(record, messagePayloads[m.kind].parse(m.payload))
      }
      if (m.kind === 'transfer.cancel_accepted') return S.cancelAccepted(record)
      return S.cancelRefused(record, messagePayloads[m.kind].parse(m.payload))
    }
  }
  return { ok: false, code: 'NOT_FOUND', message: `No transfer ${m.transferId} here for ${m.kind}` }
}

/** Whether a step puts a message in the outbox (an answer to its peer). */
const sends = (step: Ok) => step.effects.some((e) => 'send' in e)

/** Applies one message in its own savepoint: its effect and its stored answer, or neither. */
async function applyOne(
  db: Knex,
  from: string,
  fromName: string,
  m: Message,
  scope: string,
  out: { enqueued: boolean }
): Promise<InboxResult> {
  const checked = messagePayloads[m.kind].safeParse(m.payload)
  let sent = false
  let answer: InboxResult
  if (!checked.success) {
    const problem = checked.error.issues[0]
    answer = {
      id: m.id,
      status: 'refused',
      code: 'VALIDATION_FAILED',
      message: `payload.${problem.path.join('.')} ${problem.message}`,
    }
  } else {
    // A refusal throws inside the savepoint, so nothing of the message stays (an item learnt
    // from a refused dispatch, say); only its answer is kept.
    answer = await inSavepointOf(db, (trx) =>
      withSql(trx, async (sql): Promise<InboxResult> => {
        if (m.kind === 'message.federated') {
          const federated = messagePayloads[m.kind].parse(m.payload)
          await receiveFederated(trx, { from, fromName }, federated)
          return { id: m.id, status: 'applied' }
        }
        const before = await load(sql, m.transferId)
        const step = await answerAgain(sql, m, stepOf(from, fromName, m, before))
        if (!step.ok) throw refusal(step)
        await learnItems(trx, sql, [m])
        if (step.changed || step.effects.length > 0) {
          await commit(trx, sql, before, step, `inbox.${m.kind}`, scope)
          sent = sends(step)
        }
        await keepUnits(sql, [m])
        return { id: m.id, status: 'applied' }
      })
    ).catch((err: unknown) => {
      if (!(err instanceof DomainError)) throw err
      return { id: m.id, status: 'refused', code: err.code, message: err.message }
    })
  }
  // Sent only when the savepoint stood: a refusal leaves nothing of its step.
  if (sent && answer.status === 'applied') out.enqueued = true
  failpoint('inbox.after-apply')
  await withSql(db, (sql) => keepAnswers(sql, from, scope, [[m, answer]]))
  return answer
}

/**
 * The answers to messages, kept for ever with their effects (the same batch transaction): a
 * duplicate gets its message's. One statement for the keys, one for the inbox log.
 */
async function keepAnswers(
  sql: Sql,
  from: string,
  scope: string,
  answered: readonly [Message, InboxResult][]
) {
  await storeKeys(
    sql,
    answered.map(([m, answer]) => ({
      key: m.id,
      op: m.kind,
      fingerprint: fingerprintOf(m),
      outcome: { ok: true as const, data: answer },
    })),
    scope
  )
  const at = new Date().toISOString()
  const rows = answered.map(([m, answer]) => ({
    id: m.id,
    kind: m.kind,
    transferId: m.transferId,
    createdAt: m.createdAt,
    status: answer.status === 'applied' ? 'applied' : 'refused',
  }))
  await sql.run(
    `INSERT INTO inbox_log (from_node, id, kind, transfer_id, created_at, applied_at, status)
     SELECT ?1, value->>'id', value->>'kind', value->>'transferId', value->>'createdAt', ?2,
       value->>'status' FROM json_each(?3) ORDER BY key`,
    [from, at, JSON.stringify(rows)]
  )
}

/** A run could not be applied whole (a step refused as it was written): one by one instead. */
class NotAsARun extends Error {}

/**
 * Applies messages about distinct transfers at once, each as `applyOne` would (the records read
 * together, every step decided in memory, written by commitAll, the answers kept together): a
 * few statements for a batch of dispatches instead of a dozen each. Throws NotAsARun, having
 * written nothing, when a step would be refused only as it is written (its stock short): then
 * each message goes alone, in its own savepoint, as before.
 */
async function applyRun(
  db: Knex,
  from: string,
  fromName: string,
  messages: Message[],
  scope: string,
  out: { enqueued: boolean }
): Promise<InboxResult[]> {
  return withSql(db, (sql) =>
    inSavepoint(sql, async () => {
      const before = await loadMany(
        sql,
        messages.map((m) => m.transferId)
      )
      const answers: InboxResult[] = []
      const taken: { m: Message; step: Ok }[] = []
      for (const m of messages) {
        const step = await answerAgain(
          sql,
          m,
          stepOf(from, fromName, m, before.get(m.transferId) ?? null)
        )
        if (!step.ok) {
          answers.push({ id: m.id, status: 'refused', code: step.code, message: step.message })
          continue
        }
        answers.push({ id: m.id, status: 'applied' })
        taken.push({ m, step })
      }
      await learnItems(
        db,
        sql,
        taken.map(({ m }) => m)
      )
      const written = taken.filter(({ step }) => step.changed || step.effects.length > 0)
      const results = await commitAll(
        db,
        sql,
        written.map(({ m, step }) => ({
          before: before.get(m.transferId) ?? null,
          step,
          name: `inbox.${m.kind}`,
          actor: scope,
        }))
      )
      if (results.some((r) => r instanceof DomainError)) throw new NotAsARun()
      await keepUnits(
        sql,
        taken.map(({ m }) => m)
      )
      if (written.some(({ step }) => sends(step))) out.enqueued = true
      // Where applyOne passes it once per message: each, applied and not yet answered.
      for (const _ of messages) failpoint('inbox.after-apply')
      await keepAnswers(
        sql,
        from,
        scope,
        messages.map((m, i) => [m, answers[i]])
      )
      return answers
    })
  )
}

/** Whether messages can go as one run: about distinct transfers, none federated, all readable. */
function asOneRun(messages: Message[]): boolean {
  const transfers = new Set(messages.map((m) => m.transferId))
  const ids = new Set(messages.map((m) => m.id))
  return (
    messages.length > 1 &&
    transfers.size === messages.length &&
    ids.size === messages.length &&
    messages.every(
      (m) => m.kind !== 'message.federated' && messagePayloads[m.kind].safeParse(m.payload).success
    )
  )
}

/** A message answered before: applied, a duplicate; refused, refused again with the same words. */
function answeredAgain(m: Message, first: InboxResult): InboxResult {
  return first.status === 'refused' ? first : { id: m.id, status: 'duplicate' }
}

/** What keepAnswers keeps of a message to know it again: its kind, payload and transfer. */
const fingerprintOf = (m: Message) => fingerprint(m.kind, m.payload, m.transferId)

/**
 * Whether `m` says what the message answered under its id said (`stored`, as keepAnswers kept
 * it): the same kind, transfer and payload as sent, or with `again` added or taken away, since a
 * restored peer tells its messages again under their ids with it (answerAgain). An answer kept
 * before the transfer was part of it is matched without it.
 */
function sameMessage(m: Message, stored: string): boolean {
  const { again: _, ...fact } = m.payload
  return [m.payload, fact, { ...fact, again: true }].some(
    (payload) =>
      stored === fingerprint(m.kind, payload, m.transferId) ||
      stored === fingerprint(m.kind, payload)
  )
}

/** A message under an id answered before with another kind or payload: refused, never "duplicate". */
function reusedId(m: Message): InboxResult {
  return {
    id: m.id,
    status: 'refused',
    code: 'IDEMPOTENCY_KEY_REUSED',
    message: `Message ${m.id} was taken before with another kind or payload: an id names one message`,
  }
}

/**
 * A peer's messages, each applied once; and whether applying them put answers in this node's
 * outbox (or the batch came again), so that the relay is woken only then
 * (runtime/stages/wake-relay.ts): most batches, dispatches, put none. A federated topic's
 * messages put in the outbox by the event log's trigger wake it through the worker's notice.
 */
export async function inbox(
  db: Knex,
  { from, fromName, messages }: Payload<'transfers.inboxV2'>
): Promise<Result<'transfers.inboxV2'>> {
  const out = { enqueued: false }
  const scope = `peer:${from}`
  const earlier = await withSql(db, (sql) =>
    loadKeys(
      sql,
      messages.map((m) => m.id),
      scope
    )
  )
  const results: InboxResult[] = new Array(messages.length)
  const fresh: number[] = []
  messages.forEach((m, i) => {
    const before = earlier.get(m.id)
    if (!before?.outcome.ok) return void fresh.push(i)
    results[i] = sameMessage(m, before.fingerprint)
      ? answeredAgain(m, before.outcome.data as InboxResult)
      : reusedId(m)
  })
  // Sent again: what the first time put in the outbox may never have been announced (its write
  // committed after the runtime stopped waiting), so the relay is told now.
  if (fresh.length < messages.length) out.enqueued = true
  const run = fresh.map((i) => messages[i])
  if (asOneRun(run)) {
    try {
      const answers = await applyRun(db, from, fromName, run, scope, out)
      fresh.forEach((i, k) => (results[i] = answers[k]))
      return { results, enqueued: out.enqueued }
    } catch (err) {
      if (!(err instanceof NotAsARun)) throw err
    }
  }
  const seen = new Map<string, { answer: InboxResult; m: Message }>()
  for (const i of fresh) {
    const m = messages[i]
    const first = seen.get(m.id)
    if (first) {
      const same = sameMessage(m, fingerprintOf(first.m))
      results[i] = same ? answeredAgain(m, first.answer) : reusedId(m)
      continue
    }
    const answer = await applyOne(db, from, fromName, m, scope, out)
    seen.set(m.id, { answer, m })
    results[i] = answer
  }
  return { results, enqueued: out.enqueued }
}

// ---------------------------------------------------------------------------------------------
// The outbox, for the relay (network/transfers).

export async function pending(
  db: Knex,
  { to, limit }: Payload<'outbox.pending'>
): Promise<Result<'outbox.pending'>> {
  return withSql(db, async (sql) => {
    const rows = await sql.all<{
      id: string
      to: string
      kind: Message['kind']
      transferId: string
      createdAt: string
      payload: string
      attempts: number
      nextAttemptAt: string | null
    }>(
      `SELECT id, to_node AS "to", kind, transfer_id AS transferId, created_at AS createdAt,
         payload, attempts, next_attempt_at AS nextAttemptAt
       FROM outbox WHERE delivered_at IS NULL ${to ? 'AND to_node = ?' : ''}
       ORDER BY seq LIMIT ?`,
      to ? [to, limit] : [limit]
    )
    return { messages: rows.map((r) => ({ ...r, payload: JSON.parse(r.payload) })) }
  })
}

/**
 * outbox.waiting: the peers with undelivered messages, found by skipping from one peer to the next
 * on the outbox_pending index (to_node, seq WHERE delivered_at IS NULL): a seek per peer, never a
 * walk through a backlog that a peer cut off for a day may have grown to hundreds of thousands.
 */
export async function waiting(db: Knex): Promise<Result<'outbox.waiting'>> {
  const rows = await withSql(db, (sql) => sql.all<{ peer: string }>(PEERS_WAITING))
  return { peers: rows.map((r) => r.peer) }
}

export const PEERS_WAITING = `WITH RECURSIVE next (peer) AS (
    SELECT min(to_node) FROM outbox WHERE delivered_at IS NULL
    UNION ALL
    SELECT (SELECT min(to_node) FROM outbox WHERE delivered_at IS NULL AND to_node > next.peer)
    FROM next WHERE next.peer IS NOT NULL)
  SELECT peer FROM next WHERE peer IS NOT NULL`

export async function settle(
  db: Knex,
  { delivered, failed }: Payload<'outbox.settle'>
): Promise<Result<'outbox.settle'>> {
  failpoint('outbox.settle.before-write')
  return withSql(db, async (sql) => {
    // One statement each, whatever the batch's size, with what one update per entry would leave:
    // a message already delivered stays as it was (an id's first delivery counts), and an id
    // failed n times gains n attempts and keeps its last error.
    const firsts = [...new Map([...delivered].reverse().map((d) => [d.id, d])).values()]
    const done = firsts.length
      ? await sql.all(
          `UPDATE outbox SET delivered_at = j.value->>'at', status = j.value->>'status',
             last_error = CASE WHEN j.value->>'status' = 'refused'
               THEN ? || coalesce(j.value->>'problem', 'no reason given') END
           FROM json_each(?) AS j
           WHERE outbox.id = j.value->>'id' AND outbox.delivered_at IS NULL RETURNING 1 AS n`,
          [REFUSED_BY_PEER, JSON.stringify(firsts)]
        )
      : []
    const tries = new Map<string, (typeof failed)[number] & { n: number }>()
    for (const f of failed) tries.set(f.id, { ...f, n: (tries.get(f.id)?.n ?? 0) + 1 })
    const retried = tries.size
      ? await sql.all<{ id: string }>(
          `UPDATE outbox SET attempts = attempts + (j.value->>'n'), last_error = j.value->>'error',
             next_attempt_at = j.value->>'nextAttemptAt'
           FROM json_each(?) AS j
           WHERE outbox.id = j.value->>'id' AND outbox.delivered_at IS NULL
           RETURNING outbox.id AS id`,
          [JSON.stringify([...tries.values()])]
        )
      : []
    const counted = retried.reduce((sum, r) => sum + (tries.get(r.id)?.n ?? 0), 0)
    return { delivered: done.length, failed: counted }
  })
}
