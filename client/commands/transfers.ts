import type { TransferDetail, TransferPage } from '../../api/index.ts'
import type { Api, Query } from '../api.ts'
import { askParsed, choose } from '../ask.ts'
import { optional, parsed, positionals, type Command } from '../command.ts'
import { UsageError } from '../errors.ts'
import { when } from '../format.ts'
import * as input from '../input.ts'
import { printJson, type Io } from '../io.ts'
import { LIST_OPTIONS, printList } from '../list-options.ts'
import { browse, pagesOf, SCREEN_ROWS } from '../pager.ts'
import {
  contents,
  counterpart,
  stateOf,
  stillDue,
  transferStory,
  transferTable,
} from '../transfer-view.ts'
import type { Transfer } from '../../api/index.ts'
import { transferPath } from '../transfers.ts'

const transferPages = (api: Api, query: Query) =>
  pagesOf<Transfer>(api, '/transfers', 'transfers', query)

/** One transfer with its lines, messages and receipts. */
export const getTransfer = (api: Api, id: string) => api.get<TransferDetail>(transferPath(id))

export const transfers: Command = {
  name: 'transfers',
  summary: "list transfers in and out, or show one transfer's story",
  synopsis:
    '[ID] [--in | --out] [--state STATE] [--sku SKU] [--peer WAREHOUSE] [--limit N | --all]',
  description:
    "Without ID: transfers to and from this warehouse, newest first: id, when, the other warehouse, state (closed ones with how they ended), what is still in transit, the items and the reference. With ID: that transfer's story: its lines (sent, received, damaged, short, in transit…), every message between the two warehouses with its delivery (a PENDING one says how often it was tried and why it failed), and its receipts.",
  options: {
    in: { type: 'boolean', help: 'only transfers from other warehouses to this one' },
    out: { type: 'boolean', help: 'only transfers from this warehouse to others' },
    state: {
      type: 'string',
      arg: 'STATE',
      help: 'only transfers in STATE (in_transit, announced…)',
    },
    sku: { type: 'string', arg: 'SKU', help: 'only transfers carrying SKU' },
    peer: { type: 'string', arg: 'WAREHOUSE', help: 'only transfers to or from WAREHOUSE' },
    ...LIST_OPTIONS,
  },
  examples: [
    'almacen transfers --in --state announced',
    'almacen transfers --out --sku BOLT-M8',
    'almacen transfers 5b0c6a7e-3f0e-4b8e-9a51-0d6c1f3e2a10',
  ],
  async run(io, args) {
    const [text] = positionals(args, [], ['ID'])
    const { values } = args
    if (text !== undefined) {
      const listing = ['in', 'out', 'state', 'sku', 'peer', 'limit', 'all']
      if (listing.some((name) => values[name] !== undefined)) {
        throw new UsageError(
          '--in, --out, --state, --sku, --peer, --limit and --all are for the list, not for one ID'
        )
      }
      const detail = await getTransfer(io.api, parsed(input.transferId, text, 'ID'))
      return io.json ? printJson(io, detail) : io.print(transferStory(detail, io.columns))
    }
    if (values.in && values.out) throw new UsageError('give --in or --out, not both')
    const query = {
      direction: values.in ? 'in' : values.out ? 'out' : undefined,
      state: optional(args, 'state', input.transferState),
      sku: optional(args, 'sku', input.sku),
      peer: optional(args, 'peer', input.warehouse),
    }
    const filtered = Object.values(query).some((v) => v !== undefined)
    const empty = filtered ? 'No transfer matches.' : 'No transfer yet, in or out.'
    await printList(io, args, 'transfers', transferPages(io.api, query), transferTable, empty)
  },
}

/** Transfers › Outgoing. */
export async function outgoingTransfers(io: Io) {
  const empty = 'No transfer has left this warehouse yet.'
  await browse(io, transferPages(io.api, { direction: 'out' }), transferTable, empty)
}

/** Transfers › Incoming (every one, received or not). */
export async function incomingTransfersList(io: Io) {
  const empty = 'No transfer from another warehouse yet.'
  await browse(io, transferPages(io.api, { direction: 'in' }), transferTable, empty)
}

/** A transfer as a line to choose from. */
export const transferChoice = (t: Transfer) => choiceOf(t, contents(t))

/** An incoming transfer as a line to choose from: what of it is still on its way. */
export const receiveChoice = (t: Transfer) => choiceOf(t, `${stillDue(t) || 'nothing'} due`)

const choiceOf = (t: Transfer, goods: string) => ({
  title: `${when(t.createdAt)}  ${counterpart(t)} · ${stateOf(t)} · ${goods}${t.reference ? ` · ${t.reference}` : ''}`,
  value: t.id,
})

/** The choice that asks for a transfer's id. */
export const TYPE_ID = '\u0000type-id'

/** Transfers › One transfer's story: chosen among the latest, or by its id. */
export async function transferStoryInteractively(io: Io) {
  const { transfers: latest } = await io.api.get<TransferPage>('/transfers', { limit: SCREEN_ROWS })
  const chosen = await choose(io, 'Which transfer?', [
    ...latest.map(transferChoice),
    { title: 'Another: type its id', value: TYPE_ID },
  ])
  const id =
    chosen === TYPE_ID ? await askParsed(io, 'Transfer id', input.transferId, 'The id') : chosen
  io.print(transferStory(await getTransfer(io.api, id), io.columns))
}
