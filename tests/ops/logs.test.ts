// Reading the node's logs by eye, as the README says: its JSON lines piped through pino-pretty.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import t from 'tap'
import { ROOT } from '../fixtures/root.ts'

t.test("the README's log pipe works in a fresh checkout, where npx cannot ask", async (t) => {
  const readme = readFileSync(`${ROOT}/README.md`, 'utf8')
  const pipe = /`npm start \| (npx [\w-]+)`/.exec(readme)?.[1]
  t.equal(pipe, 'npx pino-pretty')
  // --no: what npx does in a pipe, where it cannot ask whether to install: use what the
  // checkout has installed (npm install, devDependencies included), or fail.
  const [, command] = pipe!.split(' ')
  const child = spawn('npx', ['--no', command], { cwd: ROOT, stdio: 'pipe' })
  let out = ''
  child.stdout.on('data', (chunk) => (out += chunk))
  child.stderr.on('data', (chunk) => (out += chunk))
  // A line as the node writes it (lib/logger.ts).
  const line = {
    level: 30,
    time: '2026-11-30T10:00:00.000Z',
    pid: 4242,
    node: 'Madrid',
    url: 'http://127.0.0.1:8080',
    msg: 'almacen listening on http://127.0.0.1:8080',
  }
  child.stdin.end(`${JSON.stringify(line)}\n`)
  const [code] = await once(child, 'exit')
  t.equal(code, 0, out)
  t.match(out, /INFO \(4242\): almacen listening on http:\/\/127\.0\.0\.1:8080\n\s+node: "Madrid"/)
})
