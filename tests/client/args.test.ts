import t from 'tap'
import { CommandUsageError, parseCli } from '../../client/args.ts'
import { UsageError } from '../../client/errors.ts'
import { tokenNow, type TokenSource } from '../../client/token.ts'
import { tempDir } from '../fixtures/temp-dir.ts'

const parse = (argv: string[], env: Record<string, string> = {}) => parseCli(argv, env, '9.9.9')

const usage = (argv: string[]) => {
  try {
    parse(argv)
  } catch (err) {
    if (err instanceof UsageError) return err
    throw err
  }
  throw new Error(`expected a usage error for ${argv.join(' ')}`)
}

t.test('no command opens the menus, on the default URL unless told otherwise', async (t) => {
  // A data directory with no admin token in it: a node started in this checkout (npm start
  // makes ./data) would otherwise give its token to the client.
  const parsed = parse([], { ALMACEN_DATA_DIR: tempDir(t) })
  t.match(parsed, {
    mode: 'interactive',
    settings: { url: 'http://127.0.0.1:8080', json: false, timeoutMs: 10_000 },
  })
  const { token, ...rest } = (parsed as { settings: { token?: TokenSource } }).settings
  t.same(Object.keys(rest).sort(), ['json', 'timeoutMs', 'url'])
  t.equal(tokenNow(token), undefined, 'no token sent: no node has run there')
  t.match(parse([], { ALMACEN_URL: 'http://10.0.0.5:8080' }), {
    settings: { url: 'http://10.0.0.5:8080' },
  })
  t.match(parse(['--url', 'http://a:1'], { ALMACEN_URL: 'http://b:2' }), {
    settings: { url: 'http://a:1' },
  })
})

t.test('a command gets its arguments and options; global options go anywhere', async (t) => {
  t.match(parse(['receive', 'BOLT-M8', '200', '--ref', 'PO-17', '--json', '--timeout', '2.5']), {
    mode: 'one-shot',
    command: { name: 'receive' },
    args: { positionals: ['BOLT-M8', '200'], values: { ref: 'PO-17' } },
    settings: { json: true, timeoutMs: 2500 },
  })
  t.match(parse(['--json', 'stock', '--low']), {
    command: { name: 'stock' },
    args: { positionals: [], values: { low: true } },
    settings: { json: true },
  })
})

t.test('a negative number is an argument, not an option', async (t) => {
  t.match(parse(['adjust', 'BOLT-M8', '-2', '--note', 'damaged']), {
    args: { positionals: ['BOLT-M8', '-2'], values: { note: 'damaged' } },
  })
  t.match(parse(['history', '--limit', '-5']), { args: { values: { limit: '-5' } } })
})

t.test('help and version print instead of running', async (t) => {
  t.match(parse(['--help']), { mode: 'print', text: /^NAME\n {4}almacen - / })
  t.match(parse(['help', 'receive']), { mode: 'print', text: /almacen receive - record goods/ })
  t.match(parse(['issue', '-h']), { mode: 'print', text: /almacen issue - / })
  t.same(parse(['-V']), { mode: 'print', text: 'almacen 9.9.9\n' })
})

t.test('mistakes are usage errors that say what is wrong', async (t) => {
  t.equal(usage(['frob']).message, 'there is no command "frob"')
  t.equal(usage(['help', 'frob']).message, 'there is no command "frob"')
  const unknown = usage(['items', '--bogus'])
  t.type(unknown, CommandUsageError)
  t.equal(unknown.message, 'unknown option --bogus')
  t.equal(usage(['receive', 'A', '1', '--ref']).message, '--ref needs a value')
  t.equal(usage(['stock', '--low=yes']).message, '--low takes no value')
  t.match(usage(['--url', 'ftp://x']).message, /--url must be an http\(s\) URL/)
  t.match(usage(['node', '--timeout', '0']).message, /--timeout must be a number of seconds/)
  // Below its own least (0.0004 s rounded to a deadline of 0 ms: nothing was ever sent).
  t.match(usage(['node', '--timeout', '0.05']).message, /from 0\.1 to 600/)
  t.match(parse(['node', '--timeout', '0.1']), { settings: { timeoutMs: 100 } })
})

t.test('a token is sent as given, less the white space around it, or refused', async (t) => {
  const url = ['--url', 'http://127.0.0.1:9']
  // A CRLF file's \r, or a line end from $(cat token.txt): taken off.
  t.match(parse(['node', ...url], { ALMACEN_TOKEN: 'alm_abc123\r\n' }), {
    settings: { token: 'alm_abc123' },
  })
  // Smart quotes from a paste, or a space inside: no header could carry it.
  for (const token of ['“alm_abc123”', 'alm abc']) {
    t.throws(() => parse(['node', ...url, '--token', token]), {
      name: 'UsageError',
      message: /--token \(or ALMACEN_TOKEN\) must be the token as the node gave it/,
    })
  }
})
