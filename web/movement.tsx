// Receive, issue, count and adjust without a mouse, as with a barcode scanner: the SKU field has
// the focus, Enter moves to the quantity, Enter there records; then the SKU field again for the
// next scan. A count sends what was counted and the node records the difference; an adjustment
// sends the signed change, with its reason as the note. A refusal (not enough on hand, no such
// item) is the node's own sentence.
import { useEffect, useRef, useState } from 'preact/hooks'
import type { Movement } from '../api/index.ts'
import { call, Refused, wholeOf } from './api.ts'
import type { Words } from './i18n.ts'

const KINDS = ['receipt', 'issue', 'count', 'adjust'] as const
type Kind = (typeof KINDS)[number]
type Outcome = { ok: true; text: string } | { ok: false; text: string }

interface Props {
  words: Words
  /** The SKUs the stock list knows, offered as the SKU field is typed. */
  skus: string[]
  onRecorded(sku: string): Promise<unknown>
}

/** What POST /movements takes for each kind: a count and an adjustment are both adjustments. */
function bodyOf(kind: Kind, sku: string, amount: number) {
  if (kind === 'count') return { type: 'adjustment', sku, countedQuantity: amount }
  if (kind === 'adjust') return { type: 'adjustment', sku, delta: amount }
  return { type: kind, sku, quantity: amount }
}

/** The sentence for a movement recorded. */
function doneText(kind: Kind, movement: Movement, words: Words): string {
  const after = `${movement.balanceAfter} ${words.nowOnHand}`
  const signed = movement.delta > 0 ? `+${movement.delta}` : String(movement.delta)
  if (kind === 'count')
    return `${words.counted} ${movement.countedQuantity} × ${movement.sku} (${signed}): ${after}`
  if (kind === 'adjust') return `${words.adjusted} ${movement.sku} ${signed}: ${after}`
  const done = kind === 'receipt' ? words.received : words.issued
  return `${done} ${movement.quantity} × ${movement.sku}: ${after}`
}

export function MovementForm(props: Props) {
  const { words } = props
  const [kind, setKind] = useState<Kind>('receipt')
  const [busy, setBusy] = useState(false)
  const [outcome, setOutcome] = useState<Outcome | null>(null)
  const skuField = useRef<HTMLInputElement>(null)
  const quantityField = useRef<HTMLInputElement>(null)
  const referenceField = useRef<HTMLInputElement>(null)
  const noteField = useRef<HTMLInputElement>(null)
  useEffect(() => skuField.current!.focus(), [])
  const labels: Record<Kind, [kind: string, amount: string]> = {
    receipt: [words.receive, words.quantity],
    issue: [words.issue, words.quantity],
    count: [words.count, words.countedQuantity],
    adjust: [words.adjust, words.change],
  }

  async function record() {
    const sku = skuField.current!.value.trim()
    const amount = quantityField.current!.value.trim()
    // An empty field is not a count of zero: nothing is sent until a number is there.
    if (!amount) {
      setOutcome({ ok: false, text: words.amountMissing })
      return quantityField.current!.focus()
    }
    if (Number.isNaN(wholeOf(amount))) {
      setOutcome({ ok: false, text: words.amountNotWhole })
      return quantityField.current!.select()
    }
    const reference = referenceField.current!.value.trim()
    const note = noteField.current?.value.trim()
    setBusy(true)
    try {
      const body = {
        ...bodyOf(kind, sku, wholeOf(amount)),
        ...(reference ? { reference } : {}),
        ...(note ? { note } : {}),
      }
      const movement = await call<Movement>('/movements', { method: 'POST', body })
      await props.onRecorded(movement.sku)
      setOutcome({ ok: true, text: doneText(kind, movement, words) })
      for (const field of [skuField, quantityField, referenceField, noteField]) {
        if (field.current) field.current.value = ''
      }
      skuField.current!.focus()
    } catch (error) {
      setOutcome({ ok: false, text: error instanceof Refused ? error.message : words.offline })
      quantityField.current!.select()
    } finally {
      setBusy(false)
    }
  }

  /** Enter in a field: the next one, or record from the quantity or the fields after it. */
  function onKeyDown(event: KeyboardEvent) {
    if (event.key !== 'Enter') return
    event.preventDefault()
    const field = event.currentTarget as HTMLInputElement
    if (field === skuField.current) return quantityField.current!.focus()
    if (!skuField.current!.value.trim()) return skuField.current!.focus()
    if (!busy) void record()
  }

  const signed = kind === 'adjust'
  return (
    <section aria-labelledby="movement-title" class="movement">
      <h2 id="movement-title">{words.movement}</h2>
      <form onSubmit={(e) => (e.preventDefault(), void record())}>
        <fieldset class="kind">
          <legend class="visually-hidden">{words.movement}</legend>
          {KINDS.map((value) => (
            <label key={value}>
              <input
                type="radio"
                name="kind"
                value={value}
                checked={kind === value}
                onChange={() => (setKind(value), setOutcome(null))}
              />
              {labels[value][0]}
            </label>
          ))}
        </fieldset>
        <label>
          {words.sku}
          <input ref={skuField} name="sku" autocomplete="off" list="skus" onKeyDown={onKeyDown} />
        </label>
        <datalist id="skus">
          {props.skus.map((sku) => (
            <option key={sku} value={sku} />
          ))}
        </datalist>
        <label>
          {labels[kind][1]}
          {signed && <span class="field-hint">{words.changeHint}</span>}
          <input
            ref={quantityField}
            name="quantity"
            type="number"
            inputMode={signed ? undefined : 'numeric'}
            min={signed ? undefined : kind === 'count' ? '0' : '1'}
            step="1"
            onKeyDown={onKeyDown}
          />
        </label>
        <label>
          {words.reference}
          <input ref={referenceField} name="reference" autocomplete="off" onKeyDown={onKeyDown} />
        </label>
        {(kind === 'count' || signed) && (
          <label>
            {signed ? words.reason : words.countNote}
            <input ref={noteField} name="note" autocomplete="off" onKeyDown={onKeyDown} />
          </label>
        )}
        <button type="submit" disabled={busy}>
          {words.record}
        </button>
      </form>
      <p class="hint">{kind === 'count' ? words.countKeys : words.keys}</p>
      <p role={outcome?.ok === false ? 'alert' : 'status'} class={outcome?.ok ? 'done' : 'problem'}>
        {outcome?.text}
      </p>
    </section>
  )
}
