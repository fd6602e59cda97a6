// Transfers among three warehouses under a nemesis (kill -9 and restart, cut links), at the size
// npm test can afford; `npm run bench -- --part transfers` runs 500. Judged by every checker
// (tests/fixtures/transfer-chaos.ts): no conservation violation, no duplicate, every read
// consistent with the ledger prefix it names, and no transfer stuck once the faults heal.
import t from 'tap'
import { runChaos } from '../fixtures/transfer-chaos.ts'

t.test(
  '40 transfers among three warehouses killed and cut at random: all settle once',
  async (t) => {
    const report = await runChaos(t, {
      transfers: 40,
      senders: 3,
      rate: 4,
      faultEveryMs: 1000,
      seed: 7,
    })
    t.ok(report.faults.kills + report.faults.cuts > 0, `faults: ${JSON.stringify(report.faults)}`)
    t.ok(report.sent > 0, `${report.sent} transfers acknowledged, ${report.refused} refused`)
    t.ok(report.reads > 0, `${report.reads} network stock figures read during the run`)
    t.same(report.violations, [], 'no conservation, exactly-once or read violation')
    t.same(report.stuck, [], 'no transfer stuck once the faults healed')
  }
)
