// The test files of tests/client/commands/ in one process (see tests/fixtures/one-process.ts).
import { runGroup } from '../fixtures/one-process.ts'

await runGroup('client-commands', import.meta.url)
