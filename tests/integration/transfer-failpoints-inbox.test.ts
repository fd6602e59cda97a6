// kill -9 at each step that writes in either inbox applying the other's message
// (how each runs and is judged: tests/fixtures/failpoint-runs.ts).
import { testFailpoints } from '../fixtures/failpoint-runs.ts'

testFailpoints([
  { point: 'inbox.after-apply', at: 'B', flow: 'deliver' },
  { point: 'transfers.inboxV2.after-commit', at: 'B', flow: 'deliver' },
  { point: 'inbox.after-apply', at: 'A', flow: 'deliver' },
  { point: 'transfers.inboxV2.after-commit', at: 'A', flow: 'deliver' },
])
