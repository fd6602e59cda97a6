// kill -9 at each step that writes in the sender's POST /transfers and the relay's record of a delivery
// (how each runs and is judged: tests/fixtures/failpoint-runs.ts).
import { testFailpoints } from '../fixtures/failpoint-runs.ts'

testFailpoints([
  { point: 'transfers.create.after-post', at: 'A', flow: 'deliver' },
  { point: 'transfers.create.after-outbox', at: 'A', flow: 'deliver' },
  { point: 'transfers.create.after-commit', at: 'A', flow: 'deliver' },
  { point: 'outbox.settle.before-write', at: 'A', flow: 'deliver' },
])
