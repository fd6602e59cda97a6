// `almacen --help` and `almacen help COMMAND`: man-page summaries built from the commands' own
// descriptions, so the help cannot drift from what the commands accept.
import type { Command } from './command.ts'
import { COMMAND_GROUPS } from './commands/index.ts'

const WIDTH = 80
/** The longest command and arguments that share a line with their summary in the command list. */
const SHORT_FORM = 20

function wrap(text: string, indent: number): string {
  const lines: string[] = []
  let line = ''
  for (const word of text.split(/\s+/)) {
    if (line && indent + line.length + 1 + word.length > WIDTH) {
      lines.push(line)
      line = word
    } else line = line ? `${line} ${word}` : word
  }
  if (line) lines.push(line)
  return lines.map((l) => ' '.repeat(indent) + l).join('\n')
}

/** A synopsis broken between its [bracketed] groups, continuation lines indented further. */
function wrapSynopsis(text: string): string {
  const groups = text.match(/\[[^\]]*\]|\S+/g) ?? []
  const lines: string[] = []
  let line = '    '
  for (const group of groups) {
    if (line.trim() && line.length + 1 + group.length > WIDTH) {
      lines.push(line)
      line = '        '
    }
    line += (line.trim() ? ' ' : '') + group
  }
  return [...lines, line].join('\n')
}

/**
 * Two columns: a term, then its explanation wrapped beside it. A term longer than `longest`
 * has a line of its own, its explanation below in the column, as man pages do.
 */
function definitions(rows: [string, string][], indent = 4, termWidth = 0, longest = 40): string {
  const fits = rows.map(([term]) => term.length).filter((n) => n <= longest)
  const w = Math.max(termWidth, ...fits) + 2
  return rows
    .map(([term, text]) => {
      const body = wrap(text, indent + w)
      const head = `${' '.repeat(indent)}${term}`
      return term.length > w - 2
        ? `${head}\n${body}`
        : `${head.padEnd(indent + w)}${body.trimStart()}`
    })
    .join('\n')
}

/** A command and its arguments without the options: `receive SKU QTY`, `stock [SKU]`. */
function shortForm(c: Command): string {
  const kept: string[] = []
  let skip: 'no' | 'bracket' | 'value' = 'no'
  for (const word of c.synopsis.split(' ').filter(Boolean)) {
    if (skip === 'bracket') skip = word.endsWith(']') ? 'no' : 'bracket'
    else if (skip === 'value') skip = 'no'
    else if (word.startsWith('[--')) skip = word.endsWith(']') ? 'no' : 'bracket'
    else if (word.startsWith('--')) skip = 'value'
    else kept.push(word)
  }
  return [c.name, ...kept].join(' ')
}

const GLOBAL_OPTIONS: [string, string][] = [
  ['--url URL', 'the node to talk to (default http://127.0.0.1:8080, or ALMACEN_URL)'],
  [
    '--token TOKEN',
    'the API token to send (or ALMACEN_TOKEN); for the node on this machine, by default its first admin token, from ALMACEN_DATA_DIR (./data)/admin-token, sent only to the address (127.0.0.1, not localhost) and port that node listens on, while it runs',
  ],
  [
    '--ca FILE',
    "the CA (PEM) that signed an https:// node's certificate, trusted beside the public ones (or ALMACEN_CA)",
  ],
  [
    '--json',
    "print the node's JSON on stdout; on failure, stderr carries one JSON line {error, code, ...}",
  ],
  [
    '--timeout SECONDS',
    'how long a command keeps trying the node (not running, busy, frozen) before it gives up with exit 3 (default 10). The menus keep trying, saying for how long, until Ctrl-C',
  ],
  ['-h, --help', 'this help; with a command, the help of that command'],
  ['-V, --version', "print the client's version"],
]

const EXIT_STATUS: [string, string][] = [
  ['0', 'done'],
  [
    '1',
    'the node refused (unknown SKU, not enough stock, a SKU that exists, no node answered a join…) and its message is on stderr; or verify found problems; or a leave was not confirmed',
  ],
  ['2', 'usage error: a missing or malformed argument; nothing was sent'],
  [
    '3',
    'the node could not be reached, or did not answer within --timeout. For a change (receive, issue…) that was sent the outcome is unknown: run the same command again with the --key shown, and it is applied at most once; one never sent says "nothing was sent"',
  ],
  ['130', 'interrupted with Ctrl-C; for a change that was sent, stderr names its --key as for 3'],
]

export function mainHelp(): string {
  // The column of summaries stays where the short forms put it; a longer one sits above its own.
  const forms = COMMAND_GROUPS.flatMap((g) => g.commands.map((c) => shortForm(c).length))
  const w = Math.max(...forms.filter((n) => n <= SHORT_FORM))
  const commands = COMMAND_GROUPS.map(
    (g) =>
      `  ${g.title}\n${definitions(
        g.commands.map((c) => [shortForm(c), c.summary]),
        4,
        w,
        w
      )}`
  ).join('\n')
  return `NAME
    almacen - stock control for this warehouse, by menus or by commands

SYNOPSIS
    almacen [--url URL]                       open the menus
    almacen COMMAND [ARGUMENTS] [OPTIONS]     do one thing and exit
    almacen help COMMAND                      how COMMAND works

DESCRIPTION
${wrap("Talks to this warehouse's almacen node. Without a command it opens arrow-key menus: Enter chooses, Ctrl-C goes back, and Ctrl-C in the main menu quits. With a command it does that one thing, prints the result and exits with a status a script can trust. SKUs are case-insensitive; quantities are whole numbers in the item's unit.", 4)}

COMMANDS
${commands}

OPTIONS
${definitions(GLOBAL_OPTIONS)}

EXIT STATUS
${definitions(EXIT_STATUS)}

ENVIRONMENT
${definitions([
  ['ALMACEN_URL', "the node's URL when --url is not given"],
  ['ALMACEN_TOKEN', 'the API token when --token is not given'],
  ['ALMACEN_CA', 'the CA file when --ca is not given'],
  ['ALMACEN_DATA_DIR', "the local node's data directory, where its first admin token is (./data)"],
  ['ALMACEN_DEBUG', 'set to 1, an unexpected error in the menus shows its stack trace'],
])}

EXAMPLES
    almacen stock BOLT-M8
    almacen receive BOLT-M8 200 --ref PO-17
    almacen issue BOLT-M8 40 --ref WO-881
    almacen items --search bolt
    almacen stock --low --json
    almacen send --to Norte BOLT-M8 40 --ref DN-311
    almacen transfers --in
    almacen join http://10.0.0.2:8080
`
}

export function commandHelp(c: Command): string {
  const options = Object.entries(c.options ?? {}).map(([name, o]): [string, string] => [
    `--${name}${o.arg ? ` ${o.arg}` : ''}`,
    o.help,
  ])
  const sections = [
    `NAME\n    almacen ${c.name} - ${c.summary}`,
    `SYNOPSIS\n${wrapSynopsis(`almacen ${c.name} ${c.synopsis} [--url URL] [--json]`)}`,
    `DESCRIPTION\n${wrap(c.description, 4)}`,
    options.length ? `OPTIONS\n${definitions(options)}` : '',
    `    See almacen --help for --url, --json, --timeout and the exit status.`,
    c.examples?.length ? `EXAMPLES\n${c.examples.map((e) => `    ${e}`).join('\n')}` : '',
  ]
  return sections.filter(Boolean).join('\n\n') + '\n'
}
