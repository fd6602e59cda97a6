// The ledger's history: GET /movements, newest first, filtered by SKU, type and a range of days,
// a page at a time, with who made each row. A movement recorded anywhere (this page, the text
// client, another warehouse's transfer) appears without a reload.
import { useEffect, useRef, useState } from 'preact/hooks'
import type { LedgerType, MovementPage } from '../api/index.ts'
import { kindOf } from '../api/shown.ts'
import { call } from './api.ts'
import type { Words } from './i18n.ts'
import { useLive } from './live.ts'
import { OfflineBanner, Problem, problemOf, useLatest, type ScreenProps } from './screen.tsx'

const PAGE = 25

/**
 * Every kind of ledger row, with the word that names it (a Record: none can be left out); and a
 * count, an adjustment made by counting, named and filtered as one (as the text client does).
 */
const TYPE_WORDS: Record<LedgerType | 'count', keyof Words> = {
  receipt: 'typeReceipt',
  issue: 'typeIssue',
  count: 'typeCount',
  adjustment: 'typeAdjustment',
  transfer_out: 'typeTransferOut',
  transfer_in: 'typeTransferIn',
  transfer_return: 'typeTransferReturn',
  transfer_writeoff: 'typeTransferWriteoff',
}

interface Filter {
  sku: string
  type: string
  /** Days of the browser's calendar (yyyy-mm-dd), both included; '' for no bound. */
  from: string
  to: string
}
const NO_FILTER: Filter = { sku: '', type: '', from: '', to: '' }

/** The start of a day of the browser's calendar, `days` later, as the instant the node takes. */
function startOfDay(date: string, days: number): string {
  const [year, month, day] = date.split('-').map(Number)
  return new Date(year, month - 1, day + days).toISOString()
}

function queryOf(filter: Filter, cursor: string | undefined): string {
  const query = new URLSearchParams({ limit: String(PAGE) })
  if (filter.sku) query.set('sku', filter.sku)
  if (filter.type) query.set('type', filter.type)
  if (filter.from) query.set('from', startOfDay(filter.from, 0))
  if (filter.to) query.set('to', startOfDay(filter.to, 1)) // the node's `to` is exclusive
  if (cursor) query.set('cursor', cursor)
  return query.toString()
}

export function History({ words, onRefused }: ScreenProps) {
  const [filter, setFilter] = useState(NO_FILTER)
  // The cursor of each page walked through, the shown one last; the newest page has none.
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined])
  const [page, setPage] = useState<MovementPage | null>(null)
  // Rows that came in live since the page was first shown: marked.
  const [fresh, setFresh] = useState(new Set<number>())
  // Movements recorded while an older page is shown.
  const [missed, setMissed] = useState(0)
  const [problem, setProblem] = useState('')
  const latest = useLatest()
  const cursor = cursors[cursors.length - 1]
  const atNewest = cursors.length === 1

  // The query of the page shown: rows are new only against the same query's earlier answer.
  const shownQuery = useRef('')

  function load(live: boolean) {
    const query = queryOf(filter, cursor)
    return latest(
      call<MovementPage>(`/movements?${query}`),
      (next) => {
        const seen = new Set(page?.movements.map((m) => m.seq))
        const arrived = next.movements.filter((m) => !seen.has(m.seq)).map((m) => m.seq)
        const again = live && page !== null && shownQuery.current === query
        setFresh(again ? new Set([...fresh, ...arrived]) : new Set())
        shownQuery.current = query
        setPage(next)
        setProblem('')
      },
      (error) => setProblem(problemOf(error, words))
    )
  }
  useEffect(() => void load(false), [filter, cursor])
  const connected = useLive({
    types: ['movement.recorded'],
    onRefused,
    onOpen: () => atNewest && void load(true),
    onEvent: () => (atNewest ? void load(true) : setMissed((n) => n + 1)),
  })

  function apply(event: Event) {
    event.preventDefault()
    const data = new FormData(event.currentTarget as HTMLFormElement)
    const text = (name: string) => String(data.get(name) ?? '').trim()
    setFilter({ sku: text('sku'), type: text('type'), from: text('from'), to: text('to') })
    newest()
  }
  function newest() {
    setCursors([undefined])
    setMissed(0)
  }
  // The browser's own locale when it speaks the page's language (en-GB dates for en-GB), else that.
  const lang = document.documentElement.lang
  const locale = navigator.language.startsWith(lang) ? navigator.language : lang
  const when = new Intl.DateTimeFormat(locale, {
    dateStyle: 'short',
    timeStyle: 'medium',
  })

  return (
    <main>
      <OfflineBanner words={words} connected={connected} />
      <section aria-labelledby="history-title">
        <h2 id="history-title">
          {words.history} {connected && <span class="live-badge">● {words.live}</span>}
        </h2>
        <form class="filters" aria-label={words.historyFilters} onSubmit={apply}>
          <label>
            {words.sku}
            <input name="sku" autocomplete="off" />
          </label>
          <label>
            {words.type}
            <select name="type">
              <option value="">{words.anyType}</option>
              {Object.entries(TYPE_WORDS).map(([type, word]) => (
                <option key={type} value={type}>
                  {words[word]}
                </option>
              ))}
            </select>
          </label>
          <label>
            {words.fromDay}
            <input name="from" type="date" />
          </label>
          <label>
            {words.toDay}
            <input name="to" type="date" />
          </label>
          <button type="submit">{words.show}</button>
          <button type="reset" class="secondary" onClick={() => (setFilter(NO_FILTER), newest())}>
            {words.clear}
          </button>
        </form>
        <Problem text={problem} />
        {missed > 0 && (
          <button type="button" onClick={newest}>
            {words.newMovements} ({missed})
          </button>
        )}
        <div class="scroll">
          <table class="history">
            <thead>
              <tr>
                <th scope="col" class="num">
                  #
                </th>
                <th scope="col">{words.when}</th>
                <th scope="col">{words.type}</th>
                <th scope="col">{words.sku}</th>
                <th scope="col" class="num">
                  {words.change}
                </th>
                <th scope="col" class="num">
                  {words.balanceAfter}
                </th>
                <th scope="col">{words.referenceShort}</th>
                <th scope="col">{words.note}</th>
                <th scope="col">{words.actor}</th>
              </tr>
            </thead>
            <tbody>
              {page?.movements.map((m) => (
                <tr key={m.seq} data-seq={m.seq} class={fresh.has(m.seq) ? 'is-new' : undefined}>
                  <td class="num">{m.seq}</td>
                  <td>{when.format(new Date(m.createdAt))}</td>
                  <td>{words[TYPE_WORDS[kindOf(m)]] ?? m.type}</td>
                  <td>{m.sku}</td>
                  <td class="num">{m.delta > 0 ? `+${m.delta}` : m.delta}</td>
                  <td class="num">{m.balanceAfter}</td>
                  <td>{m.reference}</td>
                  <td class="long" title={m.note || undefined}>
                    {m.note}
                  </td>
                  <td class="actor long" title={m.actor ?? undefined}>
                    {m.actorName ?? m.actor ?? '—'}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {page?.movements.length === 0 && <p class="hint">{words.noMovements}</p>}
        <nav class="pager" aria-label={words.pages}>
          <button
            type="button"
            disabled={atNewest}
            onClick={() => (cursors.length === 2 ? newest() : setCursors(cursors.slice(0, -1)))}
          >
            {words.newer}
          </button>
          <span>
            {words.page} {cursors.length}
          </span>
          <button
            type="button"
            disabled={!page?.nextCursor}
            onClick={() => setCursors([...cursors, page!.nextCursor!])}
          >
            {words.older}
          </button>
        </nav>
      </section>
    </main>
  )
}
