// ALMACEN_TEST_LOG_DIR keeps the log lines of every node a test starts as a process, to read after
// a run that failed (tests/fixtures/node-process.ts).
import { readFileSync, readdirSync } from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { tempDir } from '../fixtures/temp-dir.ts'

t.test(
  'with ALMACEN_TEST_LOG_DIR, a node started as a process leaves its lines in a file',
  async (t) => {
    const dir = path.join(tempDir(t, 'logs'), 'nodes')
    process.env.ALMACEN_TEST_LOG_DIR = dir
    // Imported now: the fixture reads the variable as it loads.
    const { startProcess } = await import('../fixtures/node-process.ts')
    const node = await startProcess(t, [
      '--port',
      '0',
      '--data-dir',
      tempDir(t),
      '--name',
      'Logged',
    ])
    t.same(readdirSync(dir), [`${node.child.pid}.log`])
    const lines = readFileSync(path.join(dir, `${node.child.pid}.log`), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { msg: string; node: string })
    t.same(lines, node.lines, 'every line the test saw, in order')
    t.ok(lines.some((l) => /almacen listening/.test(l.msg) && l.node === 'Logged'))
  }
)
