import { randomBytes } from 'node:crypto'
import { keyId, type KeyInstalled, type KeyringReport } from '../../api/index.ts'
import { positionals, type Command } from '../command.ts'
import { keyIdOf } from '../../lib/key-id.ts'
import { isLoopback } from '../../lib/loopback.ts'
import { Interrupted, NodeUnreachable, UsageError } from '../errors.ts'
import { printJson, type Io } from '../io.ts'
import { table } from '../table.ts'

const id = (text: string | undefined) => {
  const checked = keyId.safeParse(text ?? '')
  if (!checked.success)
    throw new UsageError(`ID ${checked.error.issues[0].message}, as almacen keys lists them`)
  return checked.data
}

function showReport(io: Io, report: KeyringReport) {
  const of = `of ${report.asked}`
  io.print(
    table(
      report.keys,
      [
        { header: 'KEY', value: (k) => k.id },
        { header: 'HELD BY', value: (k) => `${k.installedOn} ${of}` },
        { header: 'SIGNS ON', value: (k) => `${k.primaryOn} ${of}` },
      ],
      io.columns
    )
  )
  for (const member of report.members) {
    if (member.problem) io.print(`✖ ${member.name}: ${member.problem}`)
  }
}

/** A node the key can be sent to as it is: over HTTPS, or on this machine. */
function privateWay(url: string): boolean {
  const { protocol, hostname } = new URL(url)
  return protocol === 'https:' || isLoopback(hostname)
}

export const keys: Command = {
  name: 'keys',
  summary: 'the cluster keys, and their rotation (admin)',
  synopsis: '[install [KEY] [--here] | use ID | remove ID]',
  description:
    "Without arguments, lists the cluster keys by id (never the keys themselves) with how many members hold each and sign with it. A rotation is three steps, each spread to every live member: install puts a new key on them (accepted from then on, signing nothing yet; without KEY the node makes one of 256 random bits and shows it this once: keep it for ALMACEN_CLUSTER_KEY on new nodes); use makes it the one every member signs with, and is refused until every member holds it; remove takes the old key off every member, and is refused while any member signs with it. A member that is down is named: bring it back and ask the step again. A key given on the command line is seen by other users of this machine (ps): prefer letting the node make it. A new key travels to the members sealed under the key they share: after that key leaked, install the new one with --here on each node, run on that node's machine (--url http://127.0.0.1:PORT) or over https://, so that it never travels between members, then use and remove as usual. Needs an admin's token.",
  options: {
    here: {
      type: 'boolean',
      help: 'install on this node alone, not on the members (after a leak: on each node in turn)',
    },
  },
  examples: [
    'almacen keys',
    'almacen keys install',
    'almacen keys install --here --url http://127.0.0.1:8080 KEY',
    'almacen keys use 3f9a0c1e8b7d6a5f',
    'almacen keys remove 0b9d4e7a2c614f3b',
  ],
  async run(io, args) {
    const [what, given] = positionals(args, [], ['what', 'KEY or ID'])
    if (what === undefined) {
      const report = await io.api.get<KeyringReport>('/keys')
      return io.json ? printJson(io, report) : showReport(io, report)
    }
    // No Idempotency-Key: each step asked again changes nothing that is already done. So the
    // client makes a new key itself (as the node would: 256 random bits): a try whose answer is
    // lost, sent again, installs that same key, where a node asked twice to make one would make
    // two, and show only the second.
    let report: KeyringReport
    if (what === 'install') {
      const made = given === undefined ? randomBytes(32).toString('base64url') : undefined
      const key = (given ?? made) as string
      const here = args.values.here === true
      // Alone on a node, the key goes to it as sent: only to itself (loopback) or over HTTPS.
      if (here && !privateWay(io.api.url)) {
        throw new UsageError(
          `install --here sends the key to ${io.api.url} as it is: over http:// only to a node on this machine (--url http://127.0.0.1:PORT, run on each node's own machine), or over https://`
        )
      }
      const body = here ? { key, here } : { key } // a node from before --here knows no `here`
      const sent = await io.api.post<KeyInstalled>('/keys', body, null).catch((err) => {
        // Sent, and no answer: the key may be on the network. Named, and a key made here shown,
        // so that it is not installed and lost.
        if (err instanceof NodeUnreachable || err instanceof Interrupted) {
          io.note(
            `The key ${keyIdOf(key)} may have been installed: 'almacen keys' shows whether it was.${made ? ` The key, shown this once: ${made}` : ''}`
          )
        }
        throw err
      })
      const installed = made === undefined ? sent : { ...sent, generated: made }
      if (io.json) return printJson(io, installed)
      io.print(
        `✔ Key ${installed.id} installed on ${installed.keys.find((k) => k.id === installed.id)?.installedOn ?? 0} of ${installed.asked} members.`
      )
      if (installed.generated) {
        io.print(`The new key, shown this once: ${installed.generated}`)
      }
      report = installed
    } else if (what === 'use') {
      report = await io.api.post<KeyringReport>(`/keys/${id(given)}/use`, undefined, null)
    } else if (what === 'remove') {
      report = await io.api.delete<KeyringReport>(`/keys/${id(given)}`, null)
    } else {
      throw new UsageError(`there is no "keys ${what}": use install, use or remove`)
    }
    if (io.json) return printJson(io, report)
    showReport(io, report)
  },
}
