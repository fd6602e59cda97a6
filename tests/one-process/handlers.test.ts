// The test files of tests/handlers/ in one process (see tests/fixtures/one-process.ts).
import { runGroup } from '../fixtures/one-process.ts'

await runGroup('handlers', import.meta.url)
