// The contract only grows: an operation's name, whether it reads or writes, and the payload it
// admits never change once released (memberlist's "ONLY APPEND TO THIS LIST", enforced). The
// snapshot beside this file holds every operation as released; new ones are appended to it.
import { readFileSync, writeFileSync } from 'node:fs'
import t from 'tap'
import { z } from 'zod'
import { OPS, WRITE_OPS, type OpName } from '../../db/contract/index.ts'
import { ROOT_URL } from '../fixtures/root.ts'

const SNAPSHOT = new URL('tests/db/contract.snapshot.json', ROOT_URL)
const APPEND = 'ALMACEN_CONTRACT_APPEND'

interface Released {
  kind: 'read' | 'write'
  payload: unknown
}

const snapshot: Record<string, Released> = JSON.parse(readFileSync(SNAPSHOT, 'utf8'))

function shapeOf(op: OpName): Released {
  const { kind, payload } = OPS[op]
  const { $schema: _, ...schema } = z.toJSONSchema(payload, { io: 'input' })
  return { kind, payload: schema }
}

const HOW_TO_CHANGE =
  'A released operation never changes: give the new shape a new name (items.createV2, or a ' +
  'new resource.verb), keep the old one working, and bump PROTOCOL_VERSION only if the ' +
  'envelope itself must change.'

t.test('every released operation keeps its name, its kind and its payload', async (t) => {
  for (const [name, released] of Object.entries(snapshot)) {
    if (!Object.hasOwn(OPS, name)) {
      t.fail(`${name} was released and is gone from db/contract/. ${HOW_TO_CHANGE}`)
      continue
    }
    t.same(shapeOf(name as OpName), released, `${name} keeps its released shape. ${HOW_TO_CHANGE}`)
  }
})

t.test('every operation is released in the snapshot', async (t) => {
  const added = (Object.keys(OPS) as OpName[]).filter((op) => !Object.hasOwn(snapshot, op))
  if (added.length > 0 && process.env[APPEND] === '1') {
    const grown = { ...snapshot, ...Object.fromEntries(added.map((op) => [op, shapeOf(op)])) }
    writeFileSync(SNAPSHOT, `${JSON.stringify(grown, null, 2)}\n`)
    t.pass(`appended ${added.join(', ')} to ${SNAPSHOT.pathname}: commit it with the operation`)
    return
  }
  t.same(
    added,
    [],
    `new operations are not in tests/db/contract.snapshot.json. To add an operation: declare it ` +
      `in db/contract/<resource>.ts with read(...) or write(...), run ` +
      `\`${APPEND}=1 npm run test:ts -- tests/db/contract.test.ts\` (it appends the new entries and ` +
      `never rewrites the others), and commit the snapshot with the operation.`
  )
})

t.test('the write set is exactly the operations released as writes', async (t) => {
  const writes = Object.entries(snapshot).filter(([, op]) => op.kind === 'write')
  t.same([...WRITE_OPS].sort(), writes.map(([name]) => name).sort())
})
