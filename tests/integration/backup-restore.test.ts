// A backup put back on a node of a network, with every node a real process. The backup holds an
// older prefix of the node's own log, and its peer's replica holds more: the node must catch its
// tail up from that replica before it serves (no row the peer holds lost or forked), keep its id
// and its one place in the membership, and go on replicating. With its peer down it must not
// serve at all, and say why.
import { copyFile, rm } from 'node:fs/promises'
import path from 'node:path'
import t from 'tap'
import { checkReplicas } from '../fixtures/replica-check.ts'
import {
  address,
  holds,
  ledgerOf,
  served,
  site,
  start,
  stop,
  url,
  type Site,
} from '../fixtures/sites.ts'
import { exitOf, until } from '../fixtures/node-process.ts'
import { api } from '../fixtures/test-node.ts'

const receipt = (n: number) => ({ type: 'receipt', sku: 'ROPE', quantity: 1, reference: `R-${n}` })

async function receipts(s: Site, from: number, to: number) {
  for (let n = from; n <= to; n++) await api(url(s), 'POST', '/movements', receipt(n))
}

/** The node's data directory as the README says: its database replaced by the backup. */
async function putBack(s: Site, name: string) {
  const db = path.join(s.dir, 'almacen.sqlite')
  for (const extra of ['-wal', '-shm']) await rm(db + extra, { force: true })
  await copyFile(path.join(s.dir, 'backups', name), db)
}

t.test(
  'a node put back from its backup catches its own tail up from its peer before it serves, keeps its id and one membership, and replicates on',
  async (t) => {
    const a = await site(t, 'Norte')
    const b = await site(t, 'Centro', [a])
    await Promise.all([start(t, a), start(t, b)])
    const aId = (await api(url(a), 'GET', '/node')).body.id as string
    // The backup knows its peer (one taken before B joined is the second test's case).
    const members = async (s: Site) => (await api(url(s), 'GET', '/members')).body.members
    await until(async () => (await members(a)).length === 2, 30_000, 'A knows B')
    await api(url(a), 'POST', '/items', { sku: 'ROPE', name: 'Rope', unit: 'm' })
    await receipts(a, 1, 30)
    const backup = (await api(url(a), 'POST', '/backup', {})).body
    t.equal(backup.head.seq, 30)
    await receipts(a, 31, 50)
    await until(holds(b, aId, 50), 30_000, 'B holds A up to row 50')
    const ledger = await ledgerOf(a)

    await stop(a)
    await putBack(a, backup.name)
    await start(t, a)
    await served(t, a)

    t.equal((await api(url(a), 'GET', '/node')).body.id, aId, 'the same node id')
    t.same(await ledgerOf(a), ledger, 'rows 31…50, which only the peer held, are back, the same')
    t.match((await api(url(a), 'GET', '/stock/ROPE')).body, { onHand: 50 })
    t.match((await api(url(a), 'POST', '/ledger/verify', {})).body, {
      ok: true,
      witnesses: { witnesses: [{ peer: { name: 'Centro' }, verdict: 'agrees' }] },
    })
    t.match((await api(url(a), 'GET', '/ledger/restore')).body, {
      nodeId: aId,
      restoredTo: { seq: 50 },
      from: { name: 'Centro' },
    })

    // One member per id on both sides, and A alive to B: no ghost of its older life.
    await until(
      async () => {
        const { members } = (await api(url(b), 'GET', '/members')).body
        const ofA = members.filter((m: { id: string }) => m.id === aId)
        return ofA.length === 1 && ofA[0].state === 'alive'
      },
      30_000,
      'B sees A alive'
    )
    for (const s of [a, b]) {
      const ids = (await api(url(s), 'GET', '/members')).body.members.map(
        (m: { id: string }) => m.id
      )
      t.equal(new Set(ids).size, ids.length, `${s.name} lists each member once`)
      t.equal(ids.length, 2, `${s.name} lists two members`)
    }

    // It writes again, and the peer's replica takes the new row: nothing forked.
    t.equal((await api(url(a), 'POST', '/movements', receipt(51))).status, 201)
    await until(holds(b, aId, 51), 30_000, 'B holds row 51')
    const problems = (await checkReplicas([url(a), url(b)])).flatMap((r) => r.problems)
    t.same(problems, [], 'every replica checks out against its owner')

    // Put back again with the peer down: the node does not serve a prefix it may have outgrown.
    await stop(a)
    await stop(b)
    await putBack(a, backup.name)
    const node = await start(t, a)
    const code = await exitOf(node)
    t.not(code, 0, 'the node stops')
    const said = node.lines
      .map((l) => String(l.msg ?? '') + String((l.err as { message?: string })?.message ?? ''))
      .join('\n')
    t.match(
      said,
      /put back from backup .*catching them up failed.*Start the node again once its peers answer \(were they gone for good: start it once without the cluster key, and without keyring\.json in its data directory if the keys were ever rotated/s,
      'it says what to do, and how to serve the backup as it is'
    )
  }
)

t.test(
  'a backup older than its peer knows none: the node refuses to start until given the peer with --join, then catches up from it',
  async (t) => {
    const a = await site(t, 'Norte')
    const b = await site(t, 'Centro', [a])
    await start(t, a)
    const aId = (await api(url(a), 'GET', '/node')).body.id as string
    await api(url(a), 'POST', '/items', { sku: 'ROPE', name: 'Rope', unit: 'm' })
    const backup = (await api(url(a), 'POST', '/backup', {})).body
    await start(t, b)
    await receipts(a, 1, 20)
    await until(holds(b, aId, 20), 30_000, 'B holds A up to row 20')
    const ledger = await ledgerOf(a)

    await stop(a)
    await putBack(a, backup.name)
    await t.rejects(
      start(t, a),
      /exited with 1 before listening.*which knows no peer, but the node has the cluster key.*--join/s,
      'the node does not start, and says how to'
    )

    a.join = [address(b)]
    await start(t, a)
    await served(t, a)
    t.same(await ledgerOf(a), ledger, 'rows 1…20, which only the peer held, are back')
    t.equal((await api(url(a), 'POST', '/movements', receipt(21))).status, 201)
    await until(holds(b, aId, 21), 30_000, 'B holds row 21')
  }
)
