// The test files of tests/client/ but not its subfolders, nor the client run as a command (SOLO),
// in one process (see tests/fixtures/one-process.ts).
import { runGroup } from '../fixtures/one-process.ts'

await runGroup('client', import.meta.url)
