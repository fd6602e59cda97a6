// The test files of tests/db/ in one process (see tests/fixtures/one-process.ts).
import { runGroup } from '../fixtures/one-process.ts'

await runGroup('db', import.meta.url)
