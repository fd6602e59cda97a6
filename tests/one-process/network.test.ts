// The test files of tests/network/ in one process (see tests/fixtures/one-process.ts).
import { runGroup } from '../fixtures/one-process.ts'

await runGroup('network', import.meta.url)
