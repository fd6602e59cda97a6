// The layering of the whole tree (STYLE.md, "The house"), checked on the import graph as a real
// TypeScript parser reads it: data flows HTTP → runtime → handler → ctx.db → worker → SQLite, what
// crosses between nodes goes through network/, and no folder imports one above it.
import t from 'tap'
import {
  cycles,
  importGraph,
  importsOf,
  isBuiltin,
  packageOf,
  type ImportRef,
} from './fixtures/import-graph.ts'
import { ROOT } from './fixtures/root.ts'

const FOLDERS = ['api', 'lib', 'runtime', 'network', 'handlers', 'db', 'migrations', 'client']

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

const folderOf = (path: string) => path.split('/')[0]
const under = (path: string | undefined, ...prefixes: string[]) =>
  path !== undefined && prefixes.some((p) => path === p || path.startsWith(p))

/** Why a handler may not import this; undefined when it may. */
function handlerRule(ref: ImportRef): string | undefined {
  const { target, specifier, typeOnly } = ref
  if (target !== undefined) {
    if (target === 'runtime/index.ts' || under(target, 'handlers/_shared/', 'api/')) return
    if (under(target, 'db/contract/'))
      return typeOnly ? undefined : 'the db contract may be imported only with `import type`'
    if (under(target, 'handlers/'))
      return 'a handler never imports another handler; share code through handlers/_shared/'
    if (under(target, 'runtime/')) return 'only runtime/index.ts is the runtime surface'
    if (under(target, 'db/')) return 'the worker is reached only through ctx.db'
    return `${target} is outside what a handler may import`
  }
  if (isBuiltin(specifier)) {
    const name = specifier.replace(/^node:/, '').split('/')[0]
    return IO_BUILTINS.has(name)
      ? `${specifier} does I/O; a handler reaches the world through ctx`
      : undefined
  }
  return `${packageOf(specifier)}: a handler gets its libraries through runtime/index.ts or api/`
}

/** The rule each folder keeps; undefined when the import is allowed. */
const RULES: Record<string, (ref: ImportRef, file: string) => string | undefined> = {
  handlers: handlerRule,
  // The REST surface loads in a browser too: zod and itself, nothing else.
  api: ({ target, specifier }) =>
    target === undefined
      ? specifier === 'zod'
        ? undefined
        : `api/ imports only zod (it is loaded in the browser), not ${specifier}`
      : under(target, 'api/')
        ? undefined
        : `api/ imports nothing of the node (${target})`,
  lib: ({ target }) =>
    target === undefined || under(target, 'lib/') ? undefined : `lib/ is the bottom (${target})`,
  // The worker is the bottom of the node: it never reaches up into the process that feeds it.
  db: ({ target }) =>
    target === undefined || under(target, 'db/', 'lib/')
      ? undefined
      : `db/ never imports ${folderOf(target)}/ (the worker sits below everything)`,
  migrations: ({ target }) =>
    target === undefined || under(target, 'db/migration-guard.ts')
      ? undefined
      : `a migration stands alone (${target})`,
  network: ({ target }) =>
    target === undefined || under(target, 'network/', 'db/contract/', 'api/', 'lib/')
      ? undefined
      : `network/ never imports ${target} (the runtime hosts it; it does not reach back)`,
  runtime: ({ target }) => {
    if (target === undefined || under(target, 'runtime/', 'api/', 'lib/')) return
    if (under(target, 'db/contract/', 'db/settings.ts', 'network/index.ts', 'network/settings.ts'))
      return
    if (under(target, 'network/'))
      return 'the runtime uses network/ through network/index.ts (its settings: network/settings.ts)'
    if (under(target, 'handlers/')) return 'the runtime loads handlers by scanning, never by import'
    return `runtime/ never imports ${target}`
  },
  client: ({ target }) =>
    target === undefined || under(target, 'client/', 'api/', 'lib/')
      ? undefined
      : `the client talks to the node over HTTP only; it never imports ${target}`,
}

/** Every broken rule in the graph, one sentence each. */
function problemsIn(graph: Map<string, ImportRef[]>): string[] {
  const problems: string[] = []
  for (const [file, refs] of graph) {
    const rule = RULES[folderOf(file)]
    for (const ref of refs) {
      if (ref.computed) {
        // The runtime loads handlers and migrations by path: that is the scanner's job.
        if (!under(file, 'runtime/', 'db/compiled-migrations.ts'))
          problems.push(
            `${file}:${ref.line} loads a module by ${ref.specifier}: it cannot be checked`
          )
        continue
      }
      const reason = rule?.(ref, file)
      if (reason) problems.push(`${file}:${ref.line} imports '${ref.specifier}': ${reason}`)
    }
  }
  for (const cycle of cycles(graph)) problems.push(`an import cycle: ${cycle.join(' → ')}`)
  return problems
}

t.test('the tree keeps its layers, with no import cycle', async (t) => {
  const graph = await importGraph(ROOT, FOLDERS)
  t.ok(graph.size > 100, `${graph.size} files read`)
  t.same(problemsIn(graph), [])
})

t.test('npm start forks the database worker before it loads the rest of the node', async (t) => {
  // What runtime/main.ts loads before its first line runs: everything it imports statically. The
  // worker is forked from there; the HTTP side, the network, the handlers and the metrics load
  // while it starts (runtime/node.ts imports them once it is forked).
  const graph = await importGraph(ROOT, FOLDERS)
  const files = new Set<string>()
  const packages = new Set<string>()
  const walk = (file: string) => {
    if (files.has(file)) return
    files.add(file)
    for (const ref of graph.get(file) ?? []) {
      if (ref.typeOnly || ref.dynamic) continue
      if (ref.target) walk(ref.target)
      else if (!isBuiltin(ref.specifier)) packages.add(packageOf(ref.specifier))
    }
  }
  walk('runtime/main.ts')
  t.ok(files.has('runtime/worker-supervisor.ts'), 'the worker is started from there')
  const late = [
    'network/index.ts',
    'runtime/router.ts',
    'runtime/http-server.ts',
    'runtime/metrics.ts',
  ]
  t.same(
    late.filter((file) => files.has(file)),
    [],
    `loaded before the fork: ${[...files].join(', ')}`
  )
  t.same([...packages].sort(), ['pino', 'zod'], 'the packages loaded before the fork')
})

t.test('nothing but the tests imports a handler', async (t) => {
  const graph = await importGraph(ROOT, FOLDERS)
  const importers = [...graph].flatMap(([file, refs]) =>
    refs.filter((r) => under(r.target, 'handlers/') && !under(file, 'handlers/')).map(() => file)
  )
  t.same(importers, [])
})

// The checker itself, on files made for the purpose: each rule can fail.
const graphOf = (files: Record<string, string>) =>
  new Map(Object.entries(files).map(([file, source]) => [file, importsOf(file, source)]))

t.test('the checker refuses what each layer must not import', async (t) => {
  const problems = problemsIn(
    graphOf({
      'handlers/items/x.get.ts': [
        "import knex from 'knex'",
        "import { readFile } from 'node:fs/promises'",
        "import { Item } from '../../db/contract/index.ts'",
        "import { db } from '../../runtime/db-client.ts'",
        "import other from '../stock/index.get.ts'",
        'const m = await import(name)',
      ].join('\n'),
      'db/operations/x.ts': "import type { Ctx } from '../../runtime/context.ts'",
      'client/x.ts': "import type { Movement } from '../db/contract/index.ts'",
      'api/x.ts': "import { hostname } from 'node:os'",
      'network/x.ts': "import { HttpError } from '../runtime/errors.ts'",
      'runtime/x.ts': "import { Detector } from '../network/membership/detector.ts'",
      'runtime/a.ts': "import type { B } from './b.ts'",
      'runtime/b.ts': "export { A } from './a.ts'",
    })
  )
  t.match(problems, [
    /^handlers\/items\/x\.get\.ts:1 imports 'knex': knex: a handler gets its libraries/,
    /^handlers\/items\/x\.get\.ts:2 .*does I\/O/,
    /^handlers\/items\/x\.get\.ts:3 .*only with `import type`/,
    /^handlers\/items\/x\.get\.ts:4 .*only runtime\/index\.ts/,
    /^handlers\/items\/x\.get\.ts:5 .*never imports another handler/,
    /^handlers\/items\/x\.get\.ts:6 loads a module by \(computed\)/,
    /^db\/operations\/x\.ts:1 .*db\/ never imports runtime\//,
    /^client\/x\.ts:1 .*over HTTP only/,
    /^api\/x\.ts:1 .*api\/ imports only zod/,
    /^network\/x\.ts:1 .*does not reach back/,
    /^runtime\/x\.ts:1 .*through network\/index\.ts/,
    /^an import cycle: runtime\/a\.ts → runtime\/b\.ts$/,
  ])
  t.equal(problems.length, 12)
})

t.test('the checker accepts what each layer may import, type-only edges included', async (t) => {
  t.same(
    problemsIn(
      graphOf({
        'handlers/items/x.get.ts': [
          "import type { Item } from '../../db/contract/index.ts'",
          "import { defineHandler, readJson, z } from '../../runtime/index.ts'",
          "import { sku } from '../../api/index.ts'",
          "import { verifyLedger } from '../_shared/verify-ledger.ts'",
          "import { randomUUID } from 'node:crypto'",
          "export type { Movement } from '../../db/contract/index.ts'",
          '// import knex from "knex" is what a handler must never do',
        ].join('\n'),
        'api/items.ts': "import { z } from 'zod'",
        'db/worker.ts': "import { createLogger } from '../lib/logger.ts'",
        'network/x.ts': "import type { Member } from '../db/contract/index.ts'",
        'runtime/node.ts': "import { createNetwork } from '../network/index.ts'",
      })
    ),
    []
  )
})
