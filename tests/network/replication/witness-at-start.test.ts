// The start check's witness on its own: a membership and a transport the test drives by hand,
// and this node's ledger read as slowly as the test says.
import t from 'tap'
import { pino } from 'pino'
import type { Member } from '../../../db/contract/index.ts'
import type { MemberChange } from '../../../network/membership/view.ts'
import { ManualClock } from '../../../network/manual-clock.ts'
import { Replication } from '../../../network/replication/replication.ts'
import type { OwnLedger } from '../../../network/replication/witnesses.ts'
import type { Transport } from '../../../network/transport/transport.ts'

async function settle() {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve))
}

const peer = (state: Member['state']) =>
  ({ id: 'node-x', name: 'X', address: 'http://127.0.0.1:1', state }) as Member

t.test(
  'a peer that failed while the ledger was read is not asked, until it is alive again',
  async (t) => {
    let members: Member[] = []
    const listeners: ((change: MemberChange) => void)[] = []
    const change = (member: Member) => {
      const previous = members.find((m) => m.id === member.id)
      members = [...members.filter((m) => m.id !== member.id), member]
      for (const listener of listeners) listener({ member, previous })
    }
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
      witnessAtStart: {
        own: () => new Promise<OwnLedger>((resolve) => (release = () => resolve(own))),
        disagrees: async () => undefined,
      },
    })
    await replication.open()
    t.teardown(() => replication.close())
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
