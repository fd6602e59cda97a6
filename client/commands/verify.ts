import type { LedgerCheck } from '../../api/index.ts'
import { positionals, type Command } from '../command.ts'
import { EXIT } from '../errors.ts'
import { plural } from '../format.ts'
import { printJson, type Io } from '../io.ts'
import { table } from '../table.ts'

/** Runs the check and reports it; resolves to whether the ledger is sound. */
async function check(io: Io): Promise<boolean> {
  // No key: a verify changes nothing, so there is nothing to apply at most once.
  const result = await io.api.post<LedgerCheck>('/ledger/verify', undefined, null)
  if (io.json) {
    printJson(io, result)
    return result.ok
  }
  const { movements, balances } = result.checked
  // Disagreements an admin accepted (a rollback on purpose) fail nothing, and are said.
  for (const w of result.witnesses?.witnesses ?? []) {
    if (!w.accepted) continue
    const at = w.accepted.acceptedAt.slice(0, 16).replace('T', ' ')
    io.print(`  ${w.message}: accepted on ${at} (${w.accepted.reason}).`)
  }
  if (result.ok) {
    io.print(
      `✔ The ledger checks out: ${plural(movements, 'movement')} and ${plural(balances, 'balance')} agree, and the hash chain is unbroken (last entry #${result.head.seq}).`
    )
    return true
  }
  io.print(
    `✖ The ledger does NOT check out: ${plural(result.differences.length, 'problem')} found.`
  )
  io.print(
    table(
      result.differences,
      [
        { header: 'KIND', value: (d) => d.kind },
        { header: '#', value: (d) => d.seq },
        { header: 'SKU', value: (d) => d.sku },
        { header: 'PROBLEM', value: (d) => d.message, shrink: true },
      ],
      io.columns
    )
  )
  io.print(
    'Stop recording movements and call IT: the ledger can be rebuilt, but the cause must be found first.'
  )
  return false
}

export const verify: Command = {
  name: 'verify',
  summary: 'check the ledger against the balances and its hash chain',
  synopsis: '',
  description:
    'Replays the whole ledger: every balance must equal the sum of its movements, and every entry must carry the hash of the one before. Exit 0 when everything agrees; exit 1, listing the problems, when it does not.',
  examples: ['almacen verify --json'],
  async run(io, args) {
    positionals(args, [])
    return (await check(io)) ? EXIT.ok : EXIT.refused
  },
}

/** Node › Verify the ledger. */
export async function verifyLedger(io: Io) {
  await check(io)
}
