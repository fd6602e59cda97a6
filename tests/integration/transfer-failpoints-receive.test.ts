// kill -9 at each step that writes in the receiver's POST /transfers/:id/receive and its relay
// (how each runs and is judged: tests/fixtures/failpoint-runs.ts).
import { testFailpoints } from '../fixtures/failpoint-runs.ts'

testFailpoints([
  { point: 'transfers.receive.after-post', at: 'B', flow: 'deliver' },
  { point: 'transfers.receive.after-outbox', at: 'B', flow: 'deliver' },
  { point: 'transfers.receive.after-commit', at: 'B', flow: 'deliver' },
  { point: 'outbox.settle.before-write', at: 'B', flow: 'deliver' },
])
