import t from 'tap'
import { COMMANDS } from '../../client/commands/index.ts'
import { commandHelp, mainHelp } from '../../client/help.ts'

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

t.test(
  'the main help lists every command, the options, the exit statuses and examples',
  async (t) => {
    const help = mainHelp()
    for (const section of [
      'NAME',
      'SYNOPSIS',
      'DESCRIPTION',
      'COMMANDS',
      'OPTIONS',
      'EXIT STATUS',
      'ENVIRONMENT',
      'EXAMPLES',
    ]) {
      t.match(help, new RegExp(`^${section}$`, 'm'), section)
    }
    // A long command and its arguments has its summary on the next line, in the column; a long
    // summary goes on over the lines below, in the column too.
    const wrapped = (summary: string) => escape(summary).replace(/ /g, '(?: |\\n {24})')
    for (const c of COMMANDS)
      t.match(help, new RegExp(`^ {4}${c.name}\\b.*(\\n {23})? ${wrapped(c.summary)}`, 'm'), c.name)
    t.match(help, /^ {4}send SKU QTY \[SKU QTY…\]\n {24}send goods to another warehouse/m)
    t.match(help, /^ {4}transfers \[ID\] +list transfers/m)
    t.match(help, /^ {4}receive SKU QTY +record goods received/m)
    for (const code of ['0', '1', '2', '3']) t.match(help, new RegExp(`^ {4}${code}  `, 'm'))
    t.ok(
      help.split('\n').every((line) => line.length <= 80),
      'fits 80 columns'
    )
  }
)

t.test("each command's help is a man-page summary of its arguments and options", async (t) => {
  for (const c of COMMANDS) {
    const help = commandHelp(c)
    t.match(help, `NAME\n    almacen ${c.name} - ${c.summary}`, c.name)
    t.match(help, `SYNOPSIS\n    almacen ${c.name}`)
    for (const option of Object.keys(c.options ?? {})) t.match(help, `--${option}`)
    t.ok(
      help.split('\n').every((line) => line.length <= 100),
      `${c.name} fits the screen`
    )
  }
})
