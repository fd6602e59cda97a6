// api/ is shared with the web client: it must bundle for a browser, with zod as its only library.
import { build } from 'esbuild'
import t from 'tap'
import { ROOT } from '../fixtures/root.ts'

/** Bundles `entry` for a browser; returns the files it pulled in, or the bundler's errors. */
async function bundle(entry: string) {
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: [entry],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    metafile: true,
    logLevel: 'silent',
  })
  return Object.keys(result.metafile.inputs)
}

t.test('api/ bundles for a browser, pulling in nothing but itself and zod', async (t) => {
  const inputs = await bundle('api/index.ts')
  t.ok(inputs.includes('api/errors.ts') && inputs.includes('api/movements.ts'), inputs.join(', '))
  const outside = inputs.filter((file) => !file.startsWith('api/'))
  const libraries = new Set(outside.map((file) => file.split('/').slice(0, 2).join('/')))
  t.same([...libraries], ['node_modules/zod'])
})

t.test('the check would notice a Node-only import', async (t) => {
  const dir = t.testdir({
    'uses-fs.ts': "import { readFileSync } from 'node:fs'\nreadFileSync('x')\n",
  })
  await t.rejects(bundle(`${dir}/uses-fs.ts`), { message: /node:fs/ })
})
