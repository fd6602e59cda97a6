// The API documentation as one page of plain HTML, read from the node's OpenAPI document: every
// route with who may call it, its parameters, its body's schema and an example, then the error
// body. No script and nothing fetched: it reads the same on a node with no internet.
import type { OpenApiDocument } from '../../runtime/index.ts'

type Json = Record<string, any>

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
}

function esc(text: unknown): string {
  return String(text).replace(/[&<>"']/g, (c) => ESCAPES[c])
}

/** `code` spans for the backquoted words of a description. */
function prose(text: string | undefined): string {
  return esc(text ?? '').replace(/`([^`]+)`/g, '<code>$1</code>')
}

function pretty(value: unknown): string {
  return `<pre>${esc(JSON.stringify(value, null, 2))}</pre>`
}

function whoMay(operation: Json, schemes: Json): string {
  const [requirement] = operation.security as Json[]
  if (!requirement) return 'anyone (no token)'
  const [scheme, roles] = Object.entries(requirement)[0] as [string, string[]]
  if (scheme === 'bearerToken') return `a token of role <b>${esc(roles.join(', '))}</b> or stronger`
  return esc(schemes[scheme]?.description ?? scheme)
}

const number = (n: unknown) => (typeof n === 'number' ? n.toLocaleString('en') : n)

const range = (low: unknown, high: unknown, unit = '') =>
  low !== undefined && high !== undefined
    ? ` ${number(low)}–${number(high)}${unit}`
    : low !== undefined
      ? ` ≥ ${number(low)}${unit}`
      : high !== undefined
        ? ` ≤ ${number(high)}${unit}`
        : ''

/** A schema in a few words: `integer 1–500, default 50`; objects as a table of their fields. */
function describe(schema: Json): string {
  const variants = schema.oneOf ?? schema.anyOf
  if (variants) return (variants as Json[]).map(describe).join(' <i>or</i> ')
  let text: string
  switch (schema.type) {
    case 'object':
      return fields(schema)
    case 'array':
      text = `list${range(schema.minItems, schema.maxItems, ' items')} of ${describe(schema.items ?? {})}`
      break
    case 'integer':
    case 'number': {
      // A whole number above 0 is at least 1.
      const above = schema.exclusiveMinimum
      const low =
        above === undefined ? schema.minimum : schema.type === 'integer' ? above + 1 : above
      text = `${schema.type}${range(low, schema.maximum)}`
      break
    }
    case 'string':
      text = schema.enum
        ? `one of ${schema.enum.map((v: string) => `<code>${esc(v)}</code>`).join(', ')}`
        : schema.const !== undefined
          ? `<code>${esc(schema.const)}</code>`
          : schema.format
            ? `${esc(schema.format)}`
            : `text${range(schema.minLength, schema.maxLength, ' characters')}` +
              (schema.pattern ? ` matching <code>${esc(schema.pattern)}</code>` : '')
      break
    default:
      text = schema.type
        ? esc(schema.type)
        : schema.const !== undefined
          ? `<code>${esc(JSON.stringify(schema.const))}</code>`
          : 'anything'
  }
  return schema.default === undefined
    ? text
    : `${text}, default ${esc(JSON.stringify(schema.default))}`
}

/** An object's fields as a table: name, required or not, what it takes. */
function fields(schema: Json): string {
  const required = new Set<string>(schema.required ?? [])
  const rows = Object.entries((schema.properties ?? {}) as Json).map(
    ([name, field]) =>
      `<tr><td><code>${esc(name)}</code></td><td>${required.has(name) ? 'required' : ''}</td>` +
      `<td>${describe(field)}</td></tr>`
  )
  const closed =
    schema.additionalProperties === false ? '' : '<tr><td colspan=3>and any other field</td></tr>'
  return `<table>${rows.join('')}${closed}</table>`
}

function parameterRows(parameters: Json[]): string {
  if (parameters.length === 0) return ''
  const rows = parameters.map(
    (p) =>
      `<tr><td><code>${esc(p.name)}</code></td><td>${esc(p.in)}</td>` +
      `<td>${p.required ? 'required' : ''}</td><td>${describe(p.schema)}` +
      `${p.description ? `<br>${prose(p.description)}` : ''}</td></tr>`
  )
  return `<p>Parameters:</p><table>${rows.join('')}</table>`
}

function requestBody(body: Json | undefined): string {
  if (!body) return ''
  const media = (body.content?.['application/json'] ?? {}) as Json
  if (!media.schema) return `<p>Body: ${prose(body.description)}</p>`
  const example = media.example === undefined ? '' : `<p>Example:</p>${pretty(media.example)}`
  return `<p>Body (JSON):</p>${describe(media.schema)}${example}`
}

function operationHtml(method: string, path: string, operation: Json, schemes: Json): string {
  return `<section id="${esc(operation.operationId)}">
<h3><span class="method ${esc(method)}">${esc(method.toUpperCase())}</span> <code>${esc(path)}</code></h3>
<p>${prose(operation.summary)}</p>
<p>Who may call it: ${whoMay(operation, schemes)}.</p>
${parameterRows(operation.parameters ?? [])}
${requestBody(operation.requestBody)}
</section>`
}

const STYLE = `body{font:15px/1.45 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
pre,td code{font-size:13px}td table{margin:0}pre{background:#f5f5f5;padding:.6rem;overflow:auto;max-height:24rem}
table{border-collapse:collapse}td,th{border-bottom:1px solid #ddd;padding:.2rem .5rem;text-align:left;vertical-align:top}
section{border-top:1px solid #ccc;margin-top:1.2rem}.method{font-family:monospace;padding:0 .3rem;border-radius:3px;background:#e8e8e8}
.get{background:#dbeafe}.post{background:#dcfce7}.patch{background:#fef9c3}.delete{background:#fee2e2}nav li{list-style:none}`

/** The documentation page of this document. */
export function docsPage(document: OpenApiDocument): string {
  const doc = document as Json
  const schemes = doc.components?.securitySchemes ?? {}
  const byTag = new Map<string, string[]>()
  const index: string[] = []
  for (const [path, methods] of Object.entries(doc.paths as Json)) {
    for (const [method, operation] of Object.entries(methods as Json)) {
      const tag = operation.tags?.[0] ?? 'other'
      byTag.set(tag, [...(byTag.get(tag) ?? []), operationHtml(method, path, operation, schemes)])
      index.push(
        `<li><a href="#${esc(operation.operationId)}">${esc(method.toUpperCase())} ${esc(path)}</a>` +
          ` ${prose(operation.summary)}</li>`
      )
    }
  }
  const sections = [...byTag].map(([tag, html]) => `<h2>${esc(tag)}</h2>${html.join('\n')}`)
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>${esc(doc.info.title)} API ${esc(doc.info.version)}</title><style>${STYLE}</style></head>
<body><h1>${esc(doc.info.title)} API <small>${esc(doc.info.version)}</small></h1>
<p>${prose(doc.info.description)}</p>
<p>The same as an OpenAPI ${esc(doc.openapi)} document: <a href="/openapi.json">/openapi.json</a>
(for code generators, or any OpenAPI viewer). JSON in and out; a request that changes something
must say <code>content-type: application/json</code>.</p>
<h2>Access</h2><ul>${Object.entries(schemes)
    .map(([name, s]) => `<li><b>${esc(name)}</b>: ${prose((s as Json).description)}</li>`)
    .join('')}</ul>
<h2>Routes</h2><nav><ul>${index.join('\n')}</ul></nav>
${sections.join('\n')}
<h2>Errors</h2><p>Every refusal (4xx, 5xx) has this body; <code>details</code> lists
<code>{ path, message }</code> for validation failures.</p>${describe(doc.components?.schemas?.Error ?? {})}
</body></html>`
}
