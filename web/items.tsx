// The catalogue: search as you type (GET /items); a scanned SKU and Enter opens that item, and
// the search keeps the focus, its text selected, so the next scan opens the next one (were the
// focus in the item's name, the next scan would rename it). An admin also adds items (POST
// /items) and changes them (PATCH /items/:sku; Tab from the search reaches the opened item's
// name); other roles see no form. A refusal is the node's own sentence.
import { useEffect, useRef, useState } from 'preact/hooks'
import type { Item, ItemInput, ItemPage, ItemPatch } from '../api/index.ts'
import { call, WriteKey } from './api.ts'
import type { Words } from './i18n.ts'
import { useLive } from './live.ts'
import { mayDo, OfflineBanner, Problem, problemOf, useLatest, type ScreenProps } from './screen.tsx'

const PAGE = 50

type Outcome = { ok: boolean; text: string } | null

export function Items({ me, words, onRefused }: ScreenProps) {
  const admin = mayDo(me, 'admin')
  const [search, setSearch] = useState('')
  const [rows, setRows] = useState<Item[]>([])
  const [next, setNext] = useState<string | null>(null)
  const [problem, setProblem] = useState('')
  const [open, setOpen] = useState<Item | null>(null)
  const listed = useLatest()
  const scanned = useLatest()
  const searchField = useRef<HTMLInputElement>(null)
  useEffect(() => searchField.current!.focus(), [])

  /** The first page for `text`, or the page after `cursor`; an answer overtaken is dropped. */
  function load(text: string, cursor?: string) {
    const query = new URLSearchParams({ limit: String(PAGE) })
    if (text.trim()) query.set('search', text.trim())
    if (cursor) query.set('cursor', cursor)
    return listed(
      call<ItemPage>(`/items?${query}`),
      (page) => {
        setRows((before) => (cursor ? [...before, ...page.items] : page.items))
        setNext(page.nextCursor)
        setProblem('')
      },
      (error) => setProblem(problemOf(error, words))
    )
  }
  useEffect(() => void load(search), [search])
  const connected = useLive({
    types: ['item.created', 'item.updated'],
    onRefused,
    onOpen: () => void load(search),
    onEvent: () => void load(search),
  })

  /** A scan: the exact SKU, asked for by itself, however soon the Enter follows the typing. */
  async function openSku(event: KeyboardEvent) {
    if (event.key === 'Escape' && open) return close()
    if (event.key !== 'Enter') return
    event.preventDefault()
    const field = event.currentTarget as HTMLInputElement
    const sku = field.value.trim()
    if (!sku) return
    field.select() // the next scan replaces it, even while this one is being asked
    await scanned(
      call<Item>(`/items/${encodeURIComponent(sku)}`),
      (item) => (setOpen(item), setProblem('')), // a later scan's item is the one to show
      (error) => setProblem(problemOf(error, words))
    )
  }
  /** Back to the search, ready for the next scan. */
  function toSearch() {
    searchField.current!.focus()
    searchField.current!.select()
  }
  function close() {
    setOpen(null)
    toSearch()
  }

  return (
    <main>
      <OfflineBanner words={words} connected={connected} />
      <section aria-labelledby="items-title">
        <h2 id="items-title">{words.items}</h2>
        <div class="filters">
          <label>
            {words.itemSearch}
            <input
              ref={searchField}
              type="search"
              name="search"
              autocomplete="off"
              value={search}
              onInput={(e) => setSearch(e.currentTarget.value)}
              onKeyDown={openSku}
              aria-describedby="items-hint"
            />
          </label>
        </div>
        <p id="items-hint" class="hint">
          {words.itemSearchHint}
        </p>
        <Problem text={problem} />
        {open && (
          <ItemCard
            key={open.sku}
            item={open}
            admin={admin}
            words={words}
            onSaved={(item) => (setOpen(item), toSearch())}
            onClose={close}
          />
        )}
        {admin ? <NewItem words={words} /> : <p class="hint">{words.readOnlyItems}</p>}
        <table class="items">
          <thead>
            <tr>
              <th scope="col">{words.sku}</th>
              <th scope="col">{words.name}</th>
              <th scope="col">{words.unit}</th>
              <th scope="col" class="num">
                {words.reorderPoint}
              </th>
              <th scope="col">{words.description}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((item) => (
              <tr key={item.sku} data-sku={item.sku}>
                <td>
                  <button type="button" class="link" onClick={() => setOpen(item)}>
                    {item.sku}
                  </button>
                </td>
                <td>{item.name}</td>
                <td>{item.unit}</td>
                <td class="num">{item.reorderPoint ?? ''}</td>
                <td>{item.description}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {rows.length === 0 && <p class="hint">{words.noItems}</p>}
        {next && (
          <button type="button" onClick={() => void load(search, next)}>
            {words.more}
          </button>
        )}
      </section>
    </main>
  )
}

/** The fields an item has besides its SKU, filled from `item` when one is given. */
function ItemFields({ words, item }: { words: Words; item?: Item }) {
  return (
    <>
      <label>
        {words.name}
        <input name="name" autocomplete="off" defaultValue={item?.name} />
      </label>
      <label>
        {words.unit}
        <input name="unit" autocomplete="off" defaultValue={item?.unit} />
      </label>
      <label>
        {words.reorderPointOptional}
        <input
          name="reorderPoint"
          type="number"
          inputMode="numeric"
          min="0"
          step="1"
          defaultValue={item?.reorderPoint?.toString() ?? ''}
        />
      </label>
      <label class="wide">
        {words.descriptionOptional}
        <input name="description" autocomplete="off" defaultValue={item?.description} />
      </label>
    </>
  )
}

/** The form's fields as text, by name. */
function valuesOf(form: HTMLFormElement): Record<string, string> {
  const values: Record<string, string> = {}
  new FormData(form).forEach((value, name) => (values[name] = String(value).trim()))
  return values
}

/** An empty reorder point is none; anything else goes as a number for the node to judge. */
const reorderOf = (text: string) => (text === '' ? null : Number(text))

function NewItem({ words }: { words: Words }) {
  const key = useRef(new WriteKey()) // created again after no answer: the same item, once
  const [outcome, setOutcome] = useState<Outcome>(null)
  const [busy, setBusy] = useState(false)
  async function create(event: Event) {
    event.preventDefault()
    const form = event.currentTarget as HTMLFormElement
    const { sku, name, unit, description, reorderPoint } = valuesOf(form)
    const body: ItemInput = { sku, name, unit }
    if (description) body.description = description
    if (reorderPoint) body.reorderPoint = reorderOf(reorderPoint)
    setBusy(true)
    try {
      const item = await call<Item>('/items', { method: 'POST', body, key: key.current })
      setOutcome({ ok: true, text: `${words.created} ${item.sku}` })
      form.reset()
      ;(form.elements.namedItem('sku') as HTMLInputElement).focus() // the next one
    } catch (error) {
      setOutcome({ ok: false, text: problemOf(error, words) })
    } finally {
      setBusy(false)
    }
  }
  return (
    <details class="new-item">
      <summary>{words.newItem}</summary>
      <form class="item-form" aria-label={words.newItem} onSubmit={create}>
        <label>
          {words.sku}
          <input name="sku" autocomplete="off" />
        </label>
        <ItemFields words={words} />
        <button type="submit" disabled={busy}>
          {words.create}
        </button>
        <Said outcome={outcome} />
      </form>
    </details>
  )
}

interface CardProps {
  item: Item
  admin: boolean
  words: Words
  onSaved(item: Item): void
  onClose(): void
}

/**
 * One item: its fields to change for an admin, to read for the others. Escape closes it. It
 * takes no focus when it opens: the search keeps it for the next scan.
 */
function ItemCard({ item, admin, words, onSaved, onClose }: CardProps) {
  const key = useRef(new WriteKey()) // saved again after no answer: the same change
  const [outcome, setOutcome] = useState<Outcome>(null)
  const [busy, setBusy] = useState(false)

  async function save(event: Event) {
    event.preventDefault()
    const values = valuesOf(event.currentTarget as HTMLFormElement)
    // Only what changed: the unit, say, may be refused once the item has moved.
    const patch: ItemPatch = {}
    if (values.name !== item.name) patch.name = values.name
    if (values.unit !== item.unit) patch.unit = values.unit
    if (values.description !== item.description) patch.description = values.description
    const reorderPoint = reorderOf(values.reorderPoint)
    if (reorderPoint !== item.reorderPoint) patch.reorderPoint = reorderPoint
    setBusy(true)
    try {
      const path = `/items/${encodeURIComponent(item.sku)}`
      const saved = await call<Item>(path, { method: 'PATCH', body: patch, key: key.current })
      setOutcome({ ok: true, text: `${words.saved} ${saved.sku}` })
      onSaved(saved)
    } catch (error) {
      setOutcome({ ok: false, text: problemOf(error, words) })
    } finally {
      setBusy(false)
    }
  }
  const escape = (event: KeyboardEvent) => event.key === 'Escape' && onClose()

  return (
    <section class="item-card" aria-labelledby="item-card-title" onKeyDown={escape}>
      <h3 id="item-card-title" tabIndex={-1}>
        {item.sku} · {item.name}
      </h3>
      {admin ? (
        <form class="item-form" aria-label={`${words.edit} ${item.sku}`} onSubmit={save}>
          <ItemFields words={words} item={item} />
          <button type="submit" disabled={busy}>
            {words.save}
          </button>
          <button type="button" class="secondary" onClick={onClose}>
            {words.close}
          </button>
          <Said outcome={outcome} />
        </form>
      ) : (
        <>
          <dl>
            <dt>{words.unit}</dt>
            <dd>{item.unit}</dd>
            <dt>{words.reorderPoint}</dt>
            <dd>{item.reorderPoint ?? words.none}</dd>
            <dt>{words.description}</dt>
            <dd>{item.description || words.none}</dd>
          </dl>
          <button type="button" class="secondary" onClick={onClose}>
            {words.close}
          </button>
        </>
      )}
      <p class="hint">{words.escapeCloses}</p>
    </section>
  )
}

/** A form's outcome: done, or the node's refusal (announced). */
function Said({ outcome }: { outcome: Outcome }) {
  return (
    <p role={outcome?.ok === false ? 'alert' : 'status'} class={outcome?.ok ? 'done' : 'problem'}>
      {outcome?.text}
    </p>
  )
}
