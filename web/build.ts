// Bundles the web client (web/main.tsx and what it imports) into dist/web/: assets/ with names
// that carry a hash of their content (served as immutable), and index.html naming them.
import { build } from 'esbuild'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..')
const out = path.join(root, 'dist', 'web')

rmSync(out, { recursive: true, force: true })
mkdirSync(out, { recursive: true })
const result = await build({
  entryPoints: [path.join(root, 'web', 'main.tsx')],
  outdir: path.join(out, 'assets'),
  entryNames: 'app-[hash]',
  bundle: true,
  minify: true,
  format: 'esm',
  target: 'es2022',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  metafile: true,
  logLevel: 'warning',
})
const names = Object.keys(result.metafile.outputs).map((file) => path.basename(file))
const script = names.find((name) => name.endsWith('.js'))
const style = names.find((name) => name.endsWith('.css'))
if (!script || !style) throw new Error(`web build made no script or style: ${names.join(', ')}`)

writeFileSync(
  path.join(out, 'index.html'),
  `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>almacen</title>
<link rel="stylesheet" href="/assets/${style}">
<script type="module" src="/assets/${script}"></script>
</head>
<body>
<div id="app"></div>
<noscript>The almacen web client needs JavaScript. The text client and the API (/docs) do not.</noscript>
</body>
</html>
`
)
