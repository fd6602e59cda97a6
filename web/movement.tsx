// Receive, issue, count and adjust without a mouse, as with a barcode scanner: the SKU field has
// the focus, Enter moves to the quantity, Enter there records; then the SKU field again for the
// next scan, at once: what is typed while the node answers is the next movement. A count sends
// what was counted and the node records the difference; an adjustment sends the signed change,
// with its reason as the note. A refusal (not enough on hand, no such item) is the node's own
// sentence.
import { useEffect, useRef, useState } from 'preact/hooks'
import type { Movement } from '../api/index.ts'
import { call, Refused, wholeOf, WriteKey } from './api.ts'
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
  const [sending, setSending] = useState(0)
  const [outcome, setOutcome] = useState<Outcome | null>(null)
  const skuField = useRef<HTMLInputElement>(null)
  const quantityField = useRef<HTMLInputElement>(null)
  const referenceField = useRef<HTMLInputElement>(null)
  const noteField = useRef<HTMLInputElement>(null)
  /** The movements entered and not yet answered, sent one after another in the order typed. */
  const queue = useRef<Promise<void>>(Promise.resolve())
  const kindNow = useRef(kind)
  /** The write whose fields were put back: Enter on them unchanged sends it again, same key. */
  const putBack = useRef<{ kind: Kind; typed: string[]; key: WriteKey } | null>(null)
  kindNow.current = kind
  useEffect(() => skuField.current!.focus(), [])
  const labels: Record<Kind, [kind: string, amount: string]> = {
    receipt: [words.receive, words.quantity],
    issue: [words.issue, words.quantity],
    count: [words.count, words.countedQuantity],
    adjust: [words.adjust, words.change],
  }
  const fields = () => [skuField, quantityField, referenceField, noteField]

  /**
   * Enter on the amount: the movement is taken from the fields at once, which are emptied with
   * the focus on the SKU for the next scan, and sent behind those entered before it. A scanner
   * types on while the node answers, and nothing it types is lost or lands in the wrong field.
   */
  function record() {
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
    const typed = fields().map((field) => field.current?.value ?? '')
    const again = putBack.current
    putBack.current = null
    const same = again?.kind === kind && again.typed.every((text, i) => text === typed[i])
    const entry = { kind, typed, key: again && same ? again.key : new WriteKey() }
    const [reference, note] = typed.slice(2).map((text) => text.trim())
    const body = {
      ...bodyOf(kind, sku, wholeOf(amount)),
      ...(reference ? { reference } : {}),
      ...(note ? { note } : {}),
    }
    for (const field of fields()) if (field.current) field.current.value = ''
    skuField.current!.focus()
    setSending((n) => n + 1)
    queue.current = queue.current.then(() => send(entry, body))
  }

  async function send(entry: { kind: Kind; typed: string[]; key: WriteKey }, body: object) {
    try {
      const movement = await call<Movement>('/movements', { method: 'POST', body, key: entry.key })
      await props.onRecorded(movement.sku)
      setOutcome({ ok: true, text: doneText(entry.kind, movement, words) })
    } catch (error) {
      setOutcome({ ok: false, text: error instanceof Refused ? error.message : words.offline })
      // Back in the fields to be put right, unless the clerk has typed on since.
      const untouched = fields().every((field) => !field.current?.value)
      if (untouched && kindNow.current === entry.kind) {
        fields().forEach((field, i) => field.current && (field.current.value = entry.typed[i]))
        quantityField.current!.select()
        // Its outcome may be unknown (no answer): sent again as it is, it is the same write.
        putBack.current = entry
      }
    } finally {
      setSending((n) => n - 1)
    }
  }

  /** Enter in a field: the next one, or record from the quantity or the fields after it. */
  function onKeyDown(event: KeyboardEvent) {
    if (event.key !== 'Enter') return
    event.preventDefault()
    const field = event.currentTarget as HTMLInputElement
    // An Enter on an empty SKU (a scanner's second Enter, say) waits there for the next scan.
    if (field === skuField.current) {
      if (field.value.trim()) quantityField.current!.focus()
      return
    }
    if (!skuField.current!.value.trim()) return skuField.current!.focus()
    // An adjustment changes stock with no goods moving: Enter on its change goes to the reason
    // (an adjustment recorded by Enter alone left the ledger with nothing to say why).
    if (kind === 'adjust' && field === quantityField.current) return noteField.current!.focus()
    record()
  }

  const signed = kind === 'adjust'
  return (
    <section aria-labelledby="movement-title" class="movement">
      <h2 id="movement-title">{words.movement}</h2>
      <form onSubmit={(e) => (e.preventDefault(), record())} aria-busy={sending > 0}>
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
        <button type="submit">{words.record}</button>
      </form>
      <p class="hint">{kind === 'count' ? words.countKeys : words.keys}</p>
      <p role={outcome?.ok === false ? 'alert' : 'status'} class={outcome?.ok ? 'done' : 'problem'}>
        {outcome?.text}
      </p>
    </section>
  )
}
