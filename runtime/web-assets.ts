// The web client's built files (web/build.ts writes them to dist/web/), read once and kept in
// memory: the page at / and its assets, whose names carry a hash of their content.
import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import path from 'node:path'
import { gzipSync } from 'node:zlib'
import { Response } from '@whatwg-node/server'

/** The page may load only its own scripts and styles, and talk only to this node. */
const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ')

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
}

interface Asset {
  body: Uint8Array<ArrayBuffer>
  /** Compressed once at load: what a browser (which always accepts gzip) is sent. */
  gzipped: Uint8Array<ArrayBuffer>
}

interface Built {
  page: string
  assets: Map<string, Asset>
}

let built: Built | undefined

/** dist/web beside dist/runtime when the node runs built; from source, the repo's dist/web. */
function load(): Built | undefined {
  if (built) return built
  const here = path.dirname(fileURLToPath(import.meta.url))
  for (const dir of [path.join(here, '..', 'web'), path.join(here, '..', 'dist', 'web')]) {
    try {
      const page = readFileSync(path.join(dir, 'index.html'), 'utf8')
      const assets = new Map<string, Asset>()
      for (const name of readdirSync(path.join(dir, 'assets'))) {
        const body = readFileSync(path.join(dir, 'assets', name))
        assets.set(name, { body: new Uint8Array(body), gzipped: new Uint8Array(gzipSync(body)) })
      }
      return (built = { page, assets })
    } catch {
      continue // not built there
    }
  }
  return undefined
}

const headers = (type: string, cache: string) => ({
  'content-type': type,
  'cache-control': cache,
  'x-content-type-options': 'nosniff',
})

/** The web client's page: never cached without asking (it names the current assets). */
export function webPage(): Response {
  const files = load()
  if (!files) {
    return new Response('The web client is not built: run npm run build.\n', {
      status: 503,
      headers: headers('text/plain; charset=utf-8', 'no-store'),
    })
  }
  return new Response(files.page, {
    status: 200,
    headers: {
      ...headers('text/html; charset=utf-8', 'no-cache'),
      'content-security-policy': PAGE_CSP,
      'referrer-policy': 'no-referrer',
    },
  })
}

/**
 * One built asset by its hashed name, cached for a year, gzipped when the request accepts it;
 * undefined when there is none.
 */
export function webAsset(name: string, acceptEncoding: string | null): Response | undefined {
  const asset = load()?.assets.get(name)
  const type = TYPES[path.extname(name)]
  if (!asset || !type) return undefined
  const gzip = /\bgzip\b/.test(acceptEncoding ?? '')
  return new Response(gzip ? asset.gzipped : asset.body, {
    status: 200,
    headers: {
      ...headers(type, 'public, max-age=31536000, immutable'),
      vary: 'accept-encoding',
      ...(gzip ? { 'content-encoding': 'gzip' } : {}),
    },
  })
}
