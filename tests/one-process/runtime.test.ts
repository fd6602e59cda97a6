// The test files of tests/runtime/ and tests/api/ in one process (tests/fixtures/one-process.ts).
import { runGroup } from '../fixtures/one-process.ts'

await runGroup('runtime', import.meta.url)
