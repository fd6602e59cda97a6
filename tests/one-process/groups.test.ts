// npm test runs every test file exactly once: the files of the groups in one process each (and
// tap leaves them out), every other file in its own process. A group that tap would also run file
// by file, or a file that two groups run, fails here.
import { readFileSync, readdirSync } from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { GROUPS, SOLO, tapExclude, testFiles } from '../fixtures/one-process.ts'
import { ROOT, fromRoot } from '../fixtures/root.ts'

const tap = JSON.parse(readFileSync(fromRoot('package.json'), 'utf8')).tap as {
  include: string[]
  exclude: string[]
}
const entries = Object.values(GROUPS).flat()
const tests = path.join(ROOT, 'tests')

t.test('tap leaves out exactly what the groups run', async (t) => {
  t.same(tap.include, ['dist/tests/**/*.test.js'])
  t.same(
    tap.exclude.filter((glob) => glob.startsWith('dist/tests/')).sort(),
    entries.map(tapExclude).sort()
  )
  t.equal(tapExclude('client/*'), 'dist/tests/client/!(main|one-shot|terminal).test.js')
  t.equal(tapExclude('db/**'), 'dist/tests/db/**')
})

t.test('each group has its file in tests/one-process/', async (t) => {
  t.same(
    readdirSync(fromRoot('tests/one-process'))
      .filter((file) => file !== 'groups.test.ts')
      .sort(),
    Object.keys(GROUPS)
      .map((group) => `${group}.test.ts`)
      .sort()
  )
})

t.test(
  'each test file of a group is run by one group only, fixtures and SOLO left out',
  async (t) => {
    const grouped = entries.flatMap((entry) => testFiles(tests, entry, '.ts'))
    t.ok(grouped.length > 100, `${grouped.length} files run in groups`)
    t.equal(new Set(grouped).size, grouped.length, 'no file in two groups')
    t.ok(grouped.every((file) => !file.includes(`${path.sep}fixtures${path.sep}`)))
    for (const solo of SOLO) {
      t.notOk(grouped.includes(path.join(tests, `${solo}.test.ts`)), `${solo} runs alone`)
      t.ok(
        readdirSync(path.dirname(path.join(tests, solo))).includes(`${path.basename(solo)}.test.ts`)
      )
    }
    t.ok(grouped.includes(path.join(tests, 'client/args.test.ts')), 'client/* has its own files')
    t.notOk(
      testFiles(tests, 'client/*', '.ts').some((file) => file.includes('/commands/')),
      'client/* leaves its subfolders to their group'
    )
    t.ok(grouped.includes(path.join(tests, 'handlers/items/[sku]/adopt.post.test.ts')))
  }
)
