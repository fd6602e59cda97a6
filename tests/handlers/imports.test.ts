// Handlers may import the runtime's public surface, the REST surface (api/), types from the db
// contract, handlers/_shared/ and Node built-ins that do no I/O: nothing else (STYLE.md, "What a
// handler may import").
import { readdir, readFile } from 'node:fs/promises'
import { builtinModules } from 'node:module'
import { posix } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))

// Built-ins that reach the disk, the network or other processes, or load code behind our back.
const IO_BUILTINS = new Set([
  'child_process',
  'cluster',
  'dgram',
  'dns',
  'fs',
  'http',
  'http2',
  'https',
  'inspector',
  'module',
  'net',
  'readline',
  'repl',
  'sqlite',
  'tls',
  'vm',
  'worker_threads',
])
const BUILTINS = new Set(builtinModules)
const OWNED_PACKAGES: Record<string, string> = {
  knex: 'the worker owns SQL; send a message through ctx.db',
  objection: 'the worker owns the models; send a message through ctx.db',
  sqlite3: 'the worker owns the database; send a message through ctx.db',
  zeromq: 'the runtime owns the socket; send a message through ctx.db',
  pino: 'the runtime owns the logger; use ctx.log',
}

interface ImportRef {
  specifier: string
  typeOnly: boolean
  line: number
}

// A clause between `import`/`export` and `from`, never running into the next statement.
const CLAUSE = String.raw`(?:(?!\b(?:import|export)\b)[\w$\s{},*])*?`
const STATIC = new RegExp(
  String.raw`\b(import|export)(\s+type\b)?\s*(${CLAUSE})\s*\bfrom\s*(['"])([^'"\n]*)\4`,
  'g'
)
const SIDE_EFFECT = /\bimport\s*(['"])([^'"\n]*)\1/g
const DYNAMIC = /\bimport\s*\(\s*([^)]*?)\s*\)/g
const REQUIRE = /\brequire\s*\(/g

/** Blanks comments, keeping line numbers, so prose about imports is not read as an import. */
function withoutComments(source: string): string {
  return source
    .replace(/\/\*[\s\S]*?\*\//g, (comment) => comment.replace(/[^\n]/g, ' '))
    .replace(/(^|\s)\/\/.*$/gm, '$1')
}

function lineAt(source: string, index: number): number {
  return source.slice(0, index).split('\n').length
}

/** Every module a source file loads or re-exports, statically or dynamically. */
function importsOf(source: string): (ImportRef | { computed: string; line: number })[] {
  const code = withoutComments(source)
  const found: (ImportRef | { computed: string; line: number })[] = []
  for (const m of code.matchAll(STATIC)) {
    found.push({ specifier: m[5], typeOnly: m[2] !== undefined, line: lineAt(code, m.index) })
  }
  for (const m of code.matchAll(SIDE_EFFECT)) {
    found.push({ specifier: m[2], typeOnly: false, line: lineAt(code, m.index) })
  }
  for (const m of code.matchAll(DYNAMIC)) {
    const literal = /^(['"`])([^'"`$]*)\1$/.exec(m[1])
    const line = lineAt(code, m.index)
    found.push(
      literal
        ? { specifier: literal[2], typeOnly: false, line }
        : { computed: `import(${m[1]})`, line }
    )
  }
  for (const m of code.matchAll(REQUIRE))
    found.push({ computed: 'require(...)', line: lineAt(code, m.index) })
  return found.sort((a, b) => a.line - b.line)
}

function reasonAgainst(file: string, { specifier, typeOnly }: ImportRef): string | undefined {
  if (specifier.startsWith('.')) {
    const target = posix.normalize(posix.join(posix.dirname(file), specifier))
    if (target === 'runtime/index.ts' || target.startsWith('handlers/_shared/')) return undefined
    if (target.startsWith('api/')) return undefined
    if (target.startsWith('db/contract/'))
      return typeOnly ? undefined : 'the db contract may be imported only with `import type`'
    if (target.startsWith('handlers/'))
      return 'a handler never imports another handler; share code through handlers/_shared/'
    if (target.startsWith('runtime/')) return 'only runtime/index.ts is the runtime surface'
    if (target.startsWith('db/'))
      return 'the worker is reached only through ctx.db; import types from db/contract/'
    if (target.startsWith('client/')) return 'the client is not part of the node'
    return `${target} is outside what a handler may import`
  }
  if (BUILTINS.has(specifier) || specifier.startsWith('node:')) {
    const name = specifier.replace(/^node:/, '').split('/')[0]
    return IO_BUILTINS.has(name)
      ? `node:${name} does I/O; a handler reaches the world only through ctx`
      : undefined
  }
  if (specifier.startsWith('/') || specifier.startsWith('file:')) return 'an absolute path'
  const name = specifier
    .split('/')
    .slice(0, specifier.startsWith('@') ? 2 : 1)
    .join('/')
  return (
    OWNED_PACKAGES[name] ??
    'a handler gets its libraries from the runtime surface (runtime/index.ts)'
  )
}

/** What is wrong with a handler file's imports, one sentence per import; empty when all is well. */
function importProblems(file: string, source: string): string[] {
  const problems: string[] = []
  for (const ref of importsOf(source)) {
    if ('computed' in ref) {
      problems.push(
        `${file}:${ref.line} loads a module with ${ref.computed}, which cannot be checked`
      )
      continue
    }
    const reason = reasonAgainst(file, ref)
    if (reason) problems.push(`${file}:${ref.line} imports '${ref.specifier}': ${reason}`)
  }
  return problems
}

t.test('the checker accepts what a handler may import', async (t) => {
  const source = [
    "import type { Item } from '../../db/contract/index.ts'",
    "import { defineHandler, readJson, z } from '../../runtime/index.ts'",
    "import { sku, type Item } from '../../api/index.ts'",
    "import { verifyLedger } from '../_shared/verify-ledger.ts'",
    "import { randomUUID } from 'node:crypto'",
    "import { setTimeout as sleep } from 'node:timers/promises'",
    "export type { Movement } from '../../db/contract/index.ts'",
    "// import knex from 'knex' is what a handler must never do",
    '/* nor: import { Dealer } from "zeromq" */',
    'export default defineHandler(async (request, ctx) => ctx.db.send("items.get", { sku: "X" }))',
  ].join('\n')
  t.strictSame(importProblems('handlers/items/sample.get.ts', source), [])
  t.strictSame(
    importProblems('handlers/_shared/more.ts', "import { peerRoute } from './peer.ts'"),
    []
  )
})

const forbidden: [string, string, string, RegExp][] = [
  ['knex', 'handlers/a.get.ts', "import knex from 'knex'", /'knex': the worker owns SQL/],
  [
    'objection, over several lines',
    'handlers/a.get.ts',
    "import {\n  Model,\n  raw,\n} from 'objection'",
    /'objection'/,
  ],
  ['zeromq', 'handlers/a.get.ts', "import { Dealer } from 'zeromq'", /'zeromq'/],
  ['sqlite3', 'handlers/a.get.ts', "import sqlite3 from 'sqlite3'", /'sqlite3'/],
  ['pino', 'handlers/a.get.ts', "import { pino } from 'pino'", /'pino': .*ctx\.log/],
  [
    'a package other than through the runtime',
    'handlers/a.get.ts',
    "import { z } from 'zod'",
    /'zod'/,
  ],
  [
    'node:http',
    'handlers/a.get.ts',
    "import { createServer } from 'node:http'",
    /node:http does I\/O/,
  ],
  [
    'node:fs/promises',
    'handlers/a.get.ts',
    "import { readFile } from 'node:fs/promises'",
    /node:fs does I\/O/,
  ],
  ['fs without the node: prefix', 'handlers/a.get.ts', "import fs from 'fs'", /node:fs does I\/O/],
  ['node:net', 'handlers/a.get.ts', "import * as net from 'node:net'", /node:net does I\/O/],
  [
    'node:child_process',
    'handlers/a.get.ts',
    "import { spawn } from 'node:child_process'",
    /node:child_process/,
  ],
  [
    'the worker dispatch',
    'handlers/items/a.get.ts',
    "import { dispatch } from '../../db/dispatch.ts'",
    /'..\/..\/db\/dispatch.ts'/,
  ],
  [
    'types from db/ other than the contract',
    'handlers/items/a.get.ts',
    "import type { Knex } from '../../db/knex-config.ts'",
    /through ctx\.db/,
  ],
  [
    'a value from the db contract',
    'handlers/items/a.get.ts',
    "import { PROTOCOL_VERSION } from '../../db/contract/index.ts'",
    /only with `import type`/,
  ],
  [
    'the db contract with inline type modifiers',
    'handlers/items/a.get.ts',
    "import { type Item } from '../../db/contract/index.ts'",
    /only with `import type`/,
  ],
  [
    'runtime internals',
    'handlers/items/a.get.ts',
    "import { HttpError } from '../../runtime/errors.ts'",
    /only runtime\/index\.ts/,
  ],
  [
    'runtime internals as types',
    'handlers/a.get.ts',
    "import type { DbClient } from '../runtime/db-client.ts'",
    /only runtime\/index\.ts/,
  ],
  [
    'the client',
    'handlers/items/a.get.ts',
    "import { menu } from '../../client/menu.ts'",
    /the client/,
  ],
  [
    'another handler',
    'handlers/items/a.get.ts',
    "import other from './index.get.ts'",
    /another handler/,
  ],
  [
    'a handler re-exported',
    'handlers/items/a.get.ts',
    "export { default } from '../health.get.ts'",
    /another handler/,
  ],
  [
    'a handler, from _shared',
    'handlers/_shared/x.ts',
    "import h from '../items/index.get.ts'",
    /another handler/,
  ],
  [
    'a handler, through a path into _shared and out',
    'handlers/items/a.get.ts',
    "import h from '../_shared/../stock/index.get.ts'",
    /another handler/,
  ],
  ['everything of knex, re-exported', 'handlers/a.get.ts', "export * from 'knex'", /'knex'/],
  ['zeromq for its side effects', 'handlers/a.get.ts', "import 'zeromq'", /'zeromq'/],
  [
    'zeromq dynamically',
    'handlers/a.get.ts',
    "const { Dealer } = await import('zeromq')",
    /'zeromq'/,
  ],
  [
    'a module named at run time',
    'handlers/a.get.ts',
    'const m = await import(name)',
    /import\(name\), which cannot be checked/,
  ],
  ['anything through require', 'handlers/a.get.ts', "const knex = require('knex')", /require/],
  [
    'test fixtures',
    'handlers/a.get.ts',
    "import { fakeCtx } from '../tests/fixtures/handler-kit.ts'",
    /tests\/fixtures\/handler-kit\.ts is outside/,
  ],
]
for (const [what, file, source, reason] of forbidden) {
  t.test(`the checker refuses ${what}`, async (t) => {
    const problems = importProblems(file, source)
    t.equal(problems.length, 1, problems.join('\n'))
    t.match(problems[0], reason)
  })
}

t.test('the checker names the file, the line and the import', async (t) => {
  const source = "import { defineHandler } from '../runtime/index.ts'\n\nimport knex from 'knex'\n"
  t.strictSame(importProblems('handlers/bad.get.ts', source), [
    "handlers/bad.get.ts:3 imports 'knex': the worker owns SQL; send a message through ctx.db",
  ])
})

t.test('no file under handlers/ imports anything but what a handler may', async (t) => {
  const entries = await readdir(posix.join(ROOT, 'handlers'), { recursive: true })
  const files = entries
    .filter((f) => f.endsWith('.ts'))
    .map((f) => `handlers/${f.split('\\').join('/')}`)
  t.ok(
    files.includes('handlers/_shared/peer.ts') && files.includes('handlers/health.get.ts'),
    files.join(', ')
  )
  const problems: string[] = []
  for (const file of files) {
    const source = await readFile(posix.join(ROOT, file), 'utf8')
    // A handler that seemed to import nothing would mean the parser is blind, not that all is well.
    t.ok(importsOf(source).length > 0, `${file} has imports the checker can see`)
    problems.push(...importProblems(file, source))
  }
  t.strictSame(problems, [])
})
