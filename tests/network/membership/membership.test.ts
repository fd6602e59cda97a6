import { pino } from 'pino'
import t from 'tap'
import type { Member } from '../../../db/contract.ts'
import type { DbClient } from '../../../runtime/db-client.ts'
import { Membership } from '../../../network/membership/membership.ts'

const self: Member = {
  id: 'me',
  name: 'Me',
  address: 'http://127.0.0.1:1',
  state: 'alive',
  incarnation: 3,
  stateChangedAt: '2026-11-22T00:00:00.000Z',
  evidenceAt: null,
}

/** A database that keeps the rows it is given, answering each write on a later tick. */
function memoryDb(rows: Member[]) {
  const db = {
    async call(op: string, payload: { members?: Member[] }) {
      await new Promise((resolve) => setImmediate(resolve))
      if (op === 'members.list') return { data: { members: rows, rejoin: true } }
      return { data: { applied: payload.members?.length ?? 0 } }
    },
  }
  return db as unknown as DbClient
}

t.test(
  'a join answered while news of it arrives leaves this node in the network, alive at a newer incarnation',
  async (t) => {
    const m = new Membership({
      db: memoryDb([self]),
      log: pino({ level: 'silent' }),
      identity: { id: self.id, name: self.name },
      join: [],
    })
    t.teardown(() => m.stop())
    await m.open(self.address) // no cluster key: it runs alone, alive at 4
    await m.leave(false)
    t.match(m.view.self, { state: 'left', incarnation: 4 })
    // The join through a member went out as "alive at 5"; the member spreads that news, and it
    // reaches this node (still out: it says left again, at 6) just as the join's answer brings
    // it back in.
    const news = m.merge([{ ...self, incarnation: 5 }], { from: 'seed' })
    const back = m.rise(true)
    await Promise.all([news, back])
    t.equal(m.leaving, false)
    t.match(m.view.self, { state: 'alive' })
    t.ok(
      m.view.self.incarnation > 5,
      `newer than anything said meanwhile: ${m.view.self.incarnation}`
    )
  }
)
