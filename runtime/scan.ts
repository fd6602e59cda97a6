import { readdir } from 'node:fs/promises'
import path from 'node:path'

export const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const
export type Method = (typeof METHODS)[number]

/** One handler file and the route its path names. */
export interface RouteFile {
  method: Method
  /** itty-router pattern, e.g. /items/:sku */
  path: string
  /** Path of the file relative to the handlers folder, for messages. */
  file: string
  absolute: string
}

/** A handlers folder that cannot be served; the message names the file. */
export class ScanError extends Error {}

// A dot only before a last word, as in openapi.json.
const STATIC_SEGMENT = /^[a-z0-9][a-z0-9-]*(\.[a-z0-9]+)?$/
const PARAM_SEGMENT = /^\[([a-zA-Z][a-zA-Z0-9]*)\]$/

function toSegment(part: string, file: string): string {
  const param = PARAM_SEGMENT.exec(part)
  if (param) return `:${param[1]}`
  if (STATIC_SEGMENT.test(part)) return part
  throw new ScanError(
    `handlers/${file}: "${part}" is not a route segment (use lower-case kebab-case, maybe with an extension such as .json, or [name] for a parameter)`
  )
}

/** Nitro's grammar: items/[sku].patch.ts is PATCH /items/:sku, and index is the folder itself. */
export function routeOf(file: string): Pick<RouteFile, 'method' | 'path'> {
  const parts = file.split('/')
  const base = parts.pop() as string
  const match = /^(.+)\.([a-z]+)\.(?:ts|js)$/.exec(base)
  if (!match || !(METHODS as readonly string[]).includes(match[2])) {
    throw new ScanError(
      `handlers/${file}: a handler's name must end in the method, e.g. index.get.ts or [sku].patch.ts (${METHODS.join(', ')})`
    )
  }
  if (match[1] !== 'index') parts.push(match[1])
  const segments = parts.map((part) => toSegment(part, file))
  return { method: match[2] as Method, path: `/${segments.join('/')}` }
}

// itty-router takes the first route that matches, so at each position a static segment must come
// before a parameter: /items/search before /items/:sku.
function compareRoutes(a: RouteFile, b: RouteFile): number {
  const as = a.path.split('/')
  const bs = b.path.split('/')
  for (let i = 0; i < Math.min(as.length, bs.length); i++) {
    const aParam = as[i].startsWith(':')
    const bParam = bs[i].startsWith(':')
    if (aParam !== bParam) return aParam ? 1 : -1
    if (as[i] !== bs[i]) return as[i] < bs[i] ? -1 : 1
  }
  return as.length - bs.length || a.method.localeCompare(b.method)
}

async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const files: string[] = []
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('_') || entry.name.startsWith('.')) continue
    const relative = prefix ? `${prefix}/${entry.name}` : entry.name
    if (entry.isDirectory()) files.push(...(await listFiles(path.join(dir, entry.name), relative)))
    // Sources under tsx, or the built .js in dist/ (with their source maps beside them).
    else if (entry.isFile() && /(?<!\.d)\.(ts|js)$/.test(entry.name)) files.push(relative)
  }
  return files
}

/** Every route in a handlers folder, ordered for itty-router; refuses duplicates and bad names. */
export async function scanHandlers(dir: string): Promise<RouteFile[]> {
  const routes = (await listFiles(dir)).map((file) => ({
    ...routeOf(file),
    file,
    absolute: path.join(dir, file),
  }))
  const seen = new Map<string, string>()
  for (const route of routes) {
    // /items/:sku and /items/:id are the same route to a router.
    const shape = `${route.method} ${route.path.replace(/:[^/]+/g, ':')}`
    const earlier = seen.get(shape)
    if (earlier) {
      throw new ScanError(
        `handlers/${route.file} and handlers/${earlier} both define ${route.method.toUpperCase()} ${route.path}`
      )
    }
    seen.set(shape, route.file)
  }
  return routes.sort(compareRoutes)
}
