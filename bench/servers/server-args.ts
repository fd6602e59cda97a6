// The command line both baseline servers take, so the bench starts them exactly like almacen.
import { parseArgs } from 'node:util'
import { databaseFile } from '../../db/knex-config.ts'

export interface ServerArgs {
  port: number
  host: string
  file: string
}

export function serverArgs(argv: string[]): ServerArgs {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string', default: '0' },
      host: { type: 'string', default: '127.0.0.1' },
      'data-dir': { type: 'string', default: './data' },
    },
  })
  return {
    port: Number(values.port),
    host: values.host as string,
    file: databaseFile(values['data-dir'] as string),
  }
}

/** The line the bench waits for; almacen prints the same words. */
export function announce(name: string, host: string, port: number): void {
  process.stdout.write(
    `${JSON.stringify({ msg: `${name} listening on http://${host}:${port}` })}\n`
  )
}
