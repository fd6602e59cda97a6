// kill -9 at each step that writes in a cancel asked, accepted, and the goods booked back
// (how each runs and is judged: tests/fixtures/failpoint-runs.ts).
import { testFailpoints } from '../fixtures/failpoint-runs.ts'

testFailpoints([
  { point: 'transfers.cancel.after-outbox', at: 'A', flow: 'cancel' },
  { point: 'transfers.cancel.after-commit', at: 'A', flow: 'cancel' },
  { point: 'inbox.after-apply', at: 'B', flow: 'cancel' },
  { point: 'transfers.return.after-post', at: 'A', flow: 'cancel' },
  { point: 'transfers.return.after-commit', at: 'A', flow: 'cancel' },
])
