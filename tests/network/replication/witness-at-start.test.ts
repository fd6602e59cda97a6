// The start check's witness on its own: a membership and a transport the test drives by hand,
// and this node's ledger read as slowly as the test says.
import t, { type Test } from 'tap'
import { pino } from 'pino'
import type { Member } from '../../../db/contract/index.ts'
import type { MemberChange } from '../../../network/membership/view.ts'
import { ManualClock } from '../../../network/manual-clock.ts'
import { Replication, type ReplicationOptions } from '../../../network/replication/replication.ts'
import type { OwnLedger } from '../../../network/replication/witnesses.ts'
import type { Transport } from '../../../network/transport/transport.ts'

async function settle() {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve))
}

const peer = (state: Member['state']) =>
  ({ id: 'node-x', name: 'X', address: 'http://127.0.0.1:1', state }) as Member

/**
 * An open Replication with the start check on `transport`, its membership starting from
 * `members`; `change(member)` is membership saying the member changed.
 */
async function witnessing(
  t: Test,
  start: Member[],
  transport: Transport,
  witnessAtStart: ReplicationOptions['witnessAtStart']
) {
  let members = start
  const listeners: ((change: MemberChange) => void)[] = []
  const change = (member: Member) => {
    const previous = members.find((m) => m.id === member.id)
    members = [...members.filter((m) => m.id !== member.id), member]
    for (const listener of listeners) listener({ member, previous })
  }
  const replication = new Replication({
    selfId: 'node-self',
    membership: {
      snapshot: () => ({ members }),
      onChange: (listener) => (listeners.push(listener), () => undefined),
      headOf: () => undefined,
    },
    transport,
    store: {
      load: async () => undefined,
      apply: () => new Promise(() => {}),
      break: async () => undefined,
      mend: async () => 'conflict',
    },
    log: pino({ level: 'silent' }),
    clock: new ManualClock(),
    witnessAtStart,
  })
  await replication.open()
  t.teardown(() => replication.close())
  return change
}

t.test(
  'a peer that failed while the ledger was read is not asked, until it is alive again',
  async (t) => {
    const paths: string[] = []
    // Never answers: what matters is what is asked.
    const transport = {
      call: (call: { kind: { path: string } }) => (
        paths.push(call.kind.path),
        new Promise(() => {})
      ),
    } as unknown as Transport
    const own: OwnLedger = { head: { seq: 0, hash: '0'.repeat(64) }, hashes: async () => [] }
    let release: () => void = () => undefined
    const change = await witnessing(t, [], transport, {
      own: () => new Promise<OwnLedger>((resolve) => (release = () => resolve(own))),
      disagrees: async () => undefined,
    })
    change(peer('alive'))
    await settle()
    change(peer('failed'))
    release()
    await settle()
    t.notOk(paths.includes('/peer/replica-head'), `not asked as a witness once failed: ${paths}`)
    change(peer('alive'))
    await settle()
    release()
    await settle()
    t.equal(
      paths.filter((p) => p === '/peer/replica-head').length,
      1,
      'asked once it is alive again'
    )
  }
)

t.test(
  'a peer stored alive but down at start is asked again when it is back, and its word heard',
  async (t) => {
    let down = true
    let asked = 0
    // Down at first (no answer); once back, it holds row 1 of this ledger with another hash.
    const transport = {
      call: async (call: { kind: { path: string } }) => {
        if (call.kind.path !== '/peer/replica-head') return new Promise(() => {})
        asked++
        if (down) return { ok: false, reason: 'timeout', message: 'no answer', at: 0 }
        const ledger = { seq: 1, hash: 'f'.repeat(64) }
        const replica = {
          nodeId: 'node-self',
          name: 'Self',
          state: 'live',
          reason: null,
          position: { events: 1, ledger },
          caughtUpAt: null,
        }
        return { ok: true, body: { name: 'X', replicas: [replica] }, rttMs: 1, responder: 'node-x' }
      },
    } as unknown as Transport
    const row = { seq: 1, hash: 'a'.repeat(64) }
    const own: OwnLedger = { head: row, hashes: async () => [row] }
    const disagreements: { verdict: string; differsFrom: number | null }[] = []
    // Stored alive: what membership loads at start, before any probe has found the peer down.
    const change = await witnessing(t, [peer('alive')], transport, {
      own: async () => own,
      disagrees: async (w) => void disagreements.push(w),
    })
    await settle()
    t.equal(asked, 1, 'asked at start, as stored alive')
    t.same(disagreements, [], 'no word is no evidence')
    change(peer('failed'))
    down = false
    change(peer('alive'))
    await settle()
    t.equal(asked, 2, 'asked again once membership sees it alive again')
    t.match(disagreements, [{ verdict: 'differs', differsFrom: 1 }], 'its disagreement is heard')
    change({ ...peer('alive'), incarnation: 2 })
    await settle()
    t.equal(asked, 2, 'a peer that answered is not asked again')
  }
)
