// Bundles the web client (web/main.tsx and what it imports) into dist/web/: assets/ with names
// that carry a hash of their content (served as immutable), and index.html naming them.
import { createHash } from 'node:crypto'
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
// The page validates nothing itself (the node does): zod, with its language packs, made the script
// eight times its size when a screen imported a function from api/index.ts (api/shown.ts).
const heavy = Object.keys(result.metafile.inputs).filter((file) => /node_modules\/zod\//.test(file))
if (heavy.length > 0) {
  throw new Error(
    `the web client bundles zod (${heavy.length} files, such as ${heavy[0]}): import what it shows from api/shown.ts, and types only from api/index.ts`
  )
}
const names = Object.keys(result.metafile.outputs).map((file) => path.basename(file))
const script = names.find((name) => name.endsWith('.js'))
const style = names.find((name) => name.endsWith('.css'))
if (!script || !style) throw new Error(`web build made no script or style: ${names.join(', ')}`)

// The tab's icon, a box: named, a browser asks for /favicon.ico no more (a 404 in the log at
// every visit). An asset as the others, since the page's CSP takes images from the node only.
const ICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16">
<path d="M8 1 15 4.5v7L8 15 1 11.5v-7z" fill="#b45309"/><path d="M1 4.5 8 8l7-3.5M8 8v7" stroke="#fff" fill="none"/>
</svg>
`
const icon = `icon-${createHash('sha256').update(ICON).digest('hex').slice(0, 8)}.svg`
writeFileSync(path.join(out, 'assets', icon), ICON)

writeFileSync(
  path.join(out, 'index.html'),
  `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>almacen</title>
<link rel="icon" href="/assets/${icon}" type="image/svg+xml">
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
