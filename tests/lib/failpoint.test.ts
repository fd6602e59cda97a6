import { spawn } from 'node:child_process'
import { pathToFileURL } from 'node:url'
import t from 'tap'
import { fromRoot, ROOT } from '../fixtures/root.ts'

/** Runs a process that passes failpoints `a` then `b`, with ALMACEN_FAILPOINT set to `spec`. */
function run(spec: string | undefined) {
  const lib = pathToFileURL(fromRoot('lib/failpoint.ts')).href
  const script = `import { failpoint } from '${lib}'
failpoint('a'); console.log('past a')
failpoint('b'); console.log('past b')`
  const env = { ...process.env, ALMACEN_FAILPOINT: spec }
  if (spec === undefined) delete env.ALMACEN_FAILPOINT
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: ROOT,
    env,
  })
  let out = ''
  let err = ''
  child.stdout.on('data', (chunk) => (out += chunk))
  child.stderr.on('data', (chunk) => (err += chunk))
  return new Promise<{ out: string; err: string; code: number | null; signal: string | null }>(
    (resolve) => child.on('close', (code, signal) => resolve({ out, err, code, signal }))
  )
}

t.test('a failpoint named with kill kills its process there, with SIGKILL', async (t) => {
  t.match(await run('relay.before-send:kill, b:kill'), { out: 'past a\n', signal: 'SIGKILL' })
})

t.test('failpoints not named, or none at all, do nothing', async (t) => {
  t.match(await run(undefined), { out: 'past a\npast b\n', code: 0 })
  t.match(await run('c:kill'), { out: 'past a\npast b\n', code: 0 })
})

t.test('a failpoint without a known action stops the process, naming it', async (t) => {
  const ended = await run('b:pause')
  t.equal(ended.out, '')
  t.match(ended.err, /ALMACEN_FAILPOINT: .*b:pause/)
  t.not(ended.code, 0)
})
