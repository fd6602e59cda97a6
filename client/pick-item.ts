// Choosing an existing item by typing part of its SKU or name: suggestions come from the node as
// the person types, so only SKUs that exist can be chosen. Typing (or scanning) a whole SKU and
// Enter chooses that item, however quickly the Enter follows (see item-prompt.ts).
import type { Item, Stock } from '../api/index.ts'
import { skuPath, type Api } from './api.ts'
import { ask } from './ask.ts'
import { Cancelled, NodeRefusal } from './errors.ts'
import type { Io } from './io.ts'
import {
  ABSENT,
  ITEM_PROMPT,
  UNREACHABLE,
  type ItemQuestion,
  type Suggestion,
} from './item-prompt.ts'

const SHOWN = 10

/**
 * Suggestions for what has been typed so far: up to 10 items whose SKU, name or description
 * match. Uses a quiet API (one try, no spinner) because it runs under the prompt on every key.
 */
export function suggestItems(api: Api) {
  const quiet = api.quiet()
  return async function suggest(input: string): Promise<Suggestion[]> {
    try {
      const search = input.trim().slice(0, 100)
      const { items } = await quiet.get<{ items: Item[] }>('/items', { search, limit: SHOWN })
      const w = Math.max(0, ...items.map((i) => i.sku.length))
      return items.map((i) => ({ title: `${i.sku.padEnd(w)}  ${i.name}`, value: i.sku }))
    } catch {
      // Said under the prompt; Enter then explains and offers a retry (see pickItem).
      return [{ title: '(the node does not answer: press Enter)', value: UNREACHABLE }]
    }
  }
}

/**
 * The item whose SKU is exactly what was typed, as a suggestion; undefined when the node says it
 * has no such item, and a rejection when it does not answer (that is no "absent"). Asked when
 * Enter is pressed on it: it waits the ordinary timeout, not a suggestion's 3 s, so that a slow
 * node does not lose a scan.
 */
export function exactItem(api: Api) {
  const quiet = api.quiet('patient')
  return async function exact(sku: string): Promise<Suggestion | undefined> {
    try {
      const item = await quiet.get<Item>(`/items/${skuPath(sku)}`)
      return { title: `${item.sku}  ${item.name}`, value: item.sku }
    } catch (err) {
      if (err instanceof NodeRefusal && err.status === 404) return undefined
      throw err
    }
  }
}

/**
 * Asks for an item until an existing one is chosen; returns its stock line (name, unit, on hand).
 * `message` names the item's role, short ("Item received"), so the chosen line fits 80 columns.
 */
export async function pickItem(io: Io, message: string): Promise<Stock> {
  return (await pick(io, message, false))!
}

/**
 * The same, for a list of items (a transfer's lines): Enter on nothing typed (or an empty answer)
 * means the list is complete, and resolves to undefined.
 */
export function pickItemOrDone(io: Io, message: string): Promise<Stock | undefined> {
  return pick(io, message, true)
}

async function pick(io: Io, message: string, endOnEmpty: boolean): Promise<Stock | undefined> {
  const question: ItemQuestion = {
    suggest: suggestItems(io.api),
    item: { exact: exactItem(io.api) },
    limit: SHOWN,
    endOnEmpty,
  }
  for (;;) {
    const sku = await ask<string | undefined>(io, {
      type: ITEM_PROMPT,
      message: `${message} (type to search${endOnEmpty ? '; Enter on nothing: done' : ''})`,
      // prompts shows at most choices.length suggestions, so placeholders make room for the
      // node's answers (terkelg/prompts#299); suggest() replaces them on every key.
      choices: Array.from({ length: SHOWN }, () => ({ title: '', value: '' })),
      noMatches: 'no matching item',
      ...question,
    } as never)
    if (endOnEmpty && sku === '') return undefined
    if (sku?.startsWith(ABSENT)) {
      io.typeAhead?.drop() // what was typed after it was meant for the questions after the item
      io.print(
        `  No item ${sku.slice(ABSENT.length)} in this warehouse's catalogue: check the code, or add it (Items › Add an item).`
      )
      continue
    }
    if (!sku || sku === UNREACHABLE) {
      // No item chosen: what was typed after it was meant for the questions after the item.
      io.typeAhead?.drop()
      // Ask the node directly: if it is away, this explains why and offers to try again.
      const { items } = await io.api.get<{ items: Item[] }>('/items', { limit: 1 })
      if (!items.length) {
        io.print('  The catalogue is empty: add an item first (Items › Add an item).')
        throw new Cancelled()
      }
      io.print(
        sku === UNREACHABLE
          ? '  The node answers again: choose the item.'
          : '  No item chosen: type part of its SKU or name, pick it with ↑↓, then press Enter.'
      )
      continue
    }
    try {
      return await io.api.get<Stock>(`/stock/${skuPath(sku)}`)
    } catch (err) {
      if (!(err instanceof NodeRefusal) || err.status !== 404) throw err
      io.typeAhead?.drop()
      io.print(`  ${err.message}.`)
    }
  }
}
