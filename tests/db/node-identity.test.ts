// The node's identity across starts: its id made once; its name the one given, kept for the starts
// that give none, so that a restart without --name is the same warehouse to its peers.
import { hostname } from 'node:os'
import t from 'tap'
import { ensureIdentity } from '../../db/operations/node.ts'
import { testDb } from '../fixtures/test-db.ts'

t.test(
  'a start without a name keeps the one stored; a first one takes the host name',
  async (t) => {
    const knex = await testDb(t)
    const first = await ensureIdentity(knex, undefined)
    t.same(first.name, hostname(), 'a new database, no name given')
    const named = await ensureIdentity(knex, 'Bilbao')
    t.same(named, { id: first.id, name: 'Bilbao' }, 'a name given replaces it, the id stays')
    t.same(await ensureIdentity(knex, undefined), { id: first.id, name: 'Bilbao' }, 'and is kept')
    t.same(await ensureIdentity(knex, 'Bilbao Norte'), { id: first.id, name: 'Bilbao Norte' })
  }
)
