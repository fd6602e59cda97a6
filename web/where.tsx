// "Where is it": one SKU across every warehouse (GET /network/stock/:sku), each figure with its
// provenance: asked live now, or read from this node's replica of that warehouse's ledger and
// how old it is, or missing and why. A scan (the SKU, then Enter) asks; the field keeps focus.
import { useEffect, useRef, useState } from 'preact/hooks'
import type { NetworkStockOne, WarehouseFigure, WarehouseStatus } from '../api/index.ts'
import { ago } from './age.ts'
import { call } from './api.ts'
import { StockChart } from './chart.tsx'
import type { Words } from './i18n.ts'
import { problemOf, useLatest, type ScreenProps } from './screen.tsx'

type Props = ScreenProps

export function Where({ words, onRefused }: Props) {
  const field = useRef<HTMLInputElement>(null)
  const [answer, setAnswer] = useState<NetworkStockOne | null>(null)
  const [problem, setProblem] = useState('')
  const [asking, setAsking] = useState(0)
  const latest = useLatest()
  useEffect(() => field.current!.focus(), [])

  /**
   * A scan asks at once, and the field's text is selected as it leaves, so the next scan
   * replaces it even while this answer is awaited (with a warehouse frozen, up to the deadline);
   * the latest scan's answer is the one shown.
   */
  async function ask(event: Event) {
    event.preventDefault()
    const sku = field.current!.value.trim()
    if (!sku) return
    field.current!.select()
    setAsking((n) => n + 1)
    try {
      await latest(
        call<NetworkStockOne>(`/network/stock/${encodeURIComponent(sku)}`),
        (answer) => (setAnswer(answer), setProblem('')),
        (error) => (setAnswer(null), setProblem(problemOf(error, words)))
      )
    } finally {
      setAsking((n) => n - 1)
    }
  }

  return (
    <main>
      <h2 id="where-title">{words.whereTitle}</h2>
      <form class="where-form" onSubmit={ask} aria-labelledby="where-title" aria-busy={asking > 0}>
        <label>
          {words.sku}
          <input ref={field} name="where-sku" autocomplete="off" aria-describedby="where-hint" />
        </label>
        <button type="submit">{words.whereAsk}</button>
      </form>
      <p id="where-hint" class="hint">
        {words.whereHint}
      </p>
      {problem && (
        <p role="alert" class="problem">
          {problem}
        </p>
      )}
      {answer && <Answer answer={answer} words={words} />}
      {answer && (
        <StockChart key={answer.sku} sku={answer.sku} words={words} onRefused={onRefused} />
      )}
    </main>
  )
}

function Answer({ answer, words }: { answer: NetworkStockOne; words: Words }) {
  const figures = new Map(answer.figures.map((f) => [f.node.id, f]))
  const { total } = answer
  return (
    <section aria-labelledby="where-answer" class="where-answer" data-sku={answer.sku}>
      <h3 id="where-answer">
        {answer.sku} {answer.name && <span class="muted">· {answer.name}</span>}
      </h3>
      <p class="total" data-testid="where-total">
        {total.onHand === null
          ? words.whereUnitsDiffer
          : `${words.whereTotal}: ${total.onHand} ${total.unit ?? ''} · ${words.inTransit}: ${total.inTransit ?? '?'}`}
      </p>
      <p class={answer.complete ? 'hint' : 'problem'}>
        {answer.complete
          ? words.whereComplete
          : // Every member live (one no longer a member is answered from its replica): disputed.
            answer.warehouses.every((w) => w.source === 'live' || w.reason === 'reaped')
            ? words.whereSomeDisputed
            : `${words.whereIncomplete} (${answer.counts.live}/${answer.counts.total} ${words.whereLiveCount})`}{' '}
        · {answer.tookMs} ms
      </p>
      <table>
        <thead>
          <tr>
            <th scope="col">{words.warehouse}</th>
            <th scope="col" class="num">
              {words.onHand}
            </th>
            <th scope="col">{words.whereSource}</th>
          </tr>
        </thead>
        <tbody>
          {answer.warehouses.map((w) => (
            <Row key={w.node.id} status={w} figure={figures.get(w.node.id)} words={words} />
          ))}
        </tbody>
      </table>
    </section>
  )
}

function Row(props: { status: WarehouseStatus; figure?: WarehouseFigure; words: Words }) {
  const { status, figure, words } = props
  return (
    <tr
      data-warehouse={status.node.name}
      data-source={status.source}
      class={figure?.low ? 'is-low' : undefined}
    >
      <td>
        {status.node.name}
        {status.node.self && <span class="muted"> ({words.here})</span>}
        {figure?.low && ` · ${words.low}` /* said, not only coloured */}
      </td>
      <td class="num on-hand">{figure ? `${figure.onHand} ${figure.unit ?? ''}` : '—'}</td>
      <td>
        <Provenance status={status} hasFigure={!!figure} words={words} />
      </td>
    </tr>
  )
}

function Provenance(props: { status: WarehouseStatus; hasFigure: boolean; words: Words }) {
  const { status, words } = props
  // The page comes from the node that answers, but say a reason it has no words for as it is.
  const why = status.reason ? (words.whereReasons[status.reason] ?? status.reason) : ''
  if (status.source === 'live') {
    // Answered, but its ledger halted or its copy here broke: its figure may not be its own.
    return (
      <span
        class={status.disputed ? 'badge none' : 'badge live'}
        title={status.disputed ?? undefined}
      >
        ● {words.live}
        {status.disputed && ` · ${words.whereDisputed}`}
        {!props.hasFigure && ` · ${words.whereNotThere}`}
      </span>
    )
  }
  if (status.source === 'replica') {
    const age = status.ageMs === null ? '' : ` ${ago(status.ageMs, words.locale)}`
    const behind = status.rowsBehind ? ` · ${status.rowsBehind} ${words.rowsBehind}` : ''
    return (
      <span
        class={status.disputed ? 'badge none' : 'badge replica'}
        title={[status.detail, status.disputed].filter(Boolean).join('; ') || undefined}
      >
        {words.whereReplica}
        {age} ({why}){behind}
        {status.disputed && ` · ${words.whereDisputed}`}
      </span>
    )
  }
  return (
    <span class="badge none" title={status.detail ?? undefined}>
      {words.whereNone} ({why})
    </span>
  )
}
