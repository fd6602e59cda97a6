// What makes /health say "degraded" is in the worker's figures too, for an alert: GET /health
// answers 200 while reads go on, so a check of its status code alone never sees it.
import t from 'tap'
import { diskFullError, noteRoom } from '../../db/disk-full.ts'
import { ledgerState } from '../../db/ledger/state.ts'
import { metricsOp } from '../../db/metrics.ts'
import { parseExposition, valueOf } from '../fixtures/metrics-text.ts'
import { testDb } from '../fixtures/test-db.ts'

t.test('writes refused and a full disk each show as a gauge of 1', async (t) => {
  const knex = await testDb(t)
  const gauges = async () => {
    const page = parseExposition((await metricsOp(knex)).text)
    return [valueOf(page, 'almacen_ledger_writes_refused'), valueOf(page, 'almacen_disk_full')]
  }
  t.same(await gauges(), [0, 0], 'a healthy node')
  ledgerState(knex).halt = {
    since: new Date().toISOString(),
    problems: ['the head anchor says 9, the ledger ends at 8'],
    action: 'POST /ledger/rebuild',
  }
  t.same(await gauges(), [1, 0], 'the ledger halted')
  ledgerState(knex).halt = null
  diskFullError() // a write failed for want of space
  try {
    t.same(await gauges(), [0, 1], 'the disk full')
  } finally {
    noteRoom()
  }
  t.same(await gauges(), [0, 0], 'room again')
})
