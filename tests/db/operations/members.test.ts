import t from 'tap'
import type { Member } from '../../../db/contract/index.ts'
import { apply, list, reap } from '../../../db/operations/members.ts'
import { testDb } from '../../fixtures/test-db.ts'

const member = (id: string, state: Member['state'], incarnation: number): Member => ({
  id,
  name: `Node ${id}`,
  address: `http://10.0.0.${id.length}:8080`,
  state,
  incarnation,
  stateChangedAt: '2026-11-22T10:00:00.000Z',
  evidenceAt: state === 'failed' ? '2026-11-22T09:59:58.000Z' : null,
})

t.test('an empty peer list, and rejoining by default', async (t) => {
  const knex = await testDb(t)
  t.same(await list(knex), { members: [], rejoin: true })
})

t.test('applies rows whole, upserting by id, and remembers the rejoin choice', async (t) => {
  const knex = await testDb(t)
  await apply(knex, { members: [member('a', 'alive', 0), member('bb', 'alive', 2)] })
  await apply(knex, { members: [member('bb', 'failed', 2)], rejoin: false })
  const { members, rejoin } = await list(knex)
  t.same(members, [member('a', 'alive', 0), member('bb', 'failed', 2)])
  t.equal(rejoin, false)
  await apply(knex, { members: [], rejoin: true })
  t.equal((await list(knex)).rejoin, true)
})

t.test('refuses a state it does not know and a negative incarnation', async (t) => {
  const knex = await testDb(t)
  await t.rejects(
    apply(knex, { members: [{ ...member('a', 'alive', 0), state: 'zombie' as never }] })
  )
  await t.rejects(apply(knex, { members: [member('a', 'alive', -1)] }))
  t.same((await list(knex)).members, [])
})

t.test('reaps the members it is told to forget', async (t) => {
  const knex = await testDb(t)
  await apply(knex, {
    members: [member('a', 'alive', 0), member('bb', 'left', 1), member('ccc', 'failed', 4)],
  })
  t.same(await reap(knex, { ids: ['bb', 'ccc', 'unknown'] }), { reaped: 2 })
  t.same(
    (await list(knex)).members.map((m) => m.id),
    ['a']
  )
  t.same(await reap(knex, { ids: [] }), { reaped: 0 })
})
