// Transfers between warehouses: send (operator), what is coming in to receive (live: a transfer
// sent from another warehouse appears here without a reload, from the event stream), what went
// out, and one transfer's story with the messages its two nodes exchanged (#/transfers/<id>).
import { useEffect, useRef, useState } from 'preact/hooks'
import type {
  Network,
  NodeEvent,
  Transfer,
  TransferDetail,
  TransferLine,
  TransferPage,
} from '../api/index.ts'
import { figuresShown, type LineFigure } from '../api/shown.ts'
import { dueBack, stepOn, type TransferStep } from '../api/transfer-steps.ts'
import { agoSince } from './age.ts'
import { allPages, call, wholeOf, WriteKey } from './api.ts'
import type { Words } from './i18n.ts'
import { mayDo, OfflineBanner, problemOf, type ScreenProps } from './screen.tsx'
import { follow } from './live.ts'

type Props = ScreenProps

/** Incoming states in which goods may still be expected here. */
const OPEN_IN = ['announced', 'unannounced', 'partially_received'] as const
const TO_RECEIVE = new Set<string>(OPEN_IN)
/** Outgoing states not yet closed. */
const OPEN_OUT = ['in_transit', 'partially_received', 'cancel_requested', 'returning'] as const

/** Every transfer this way in this state, page after page. */
function everyOne(direction: 'in' | 'out', state: string): Promise<Transfer[]> {
  const path = `/transfers?direction=${direction}&state=${state}`
  return allPages(path, (page: TransferPage) => page.transfers)
}

/** An incoming transfer with something still due on it (known once its dispatch has arrived). */
const receivable = (t: Transfer) =>
  TO_RECEIVE.has(t.state) && t.lines.some((line) => line.inTransit > 0)

/**
 * An incoming transfer received in instalments, none final, with nothing left on the road: a
 * final receipt with no lines closes it (what no receipt accounted for is short).
 */
const closable = (t: Transfer) =>
  t.state === 'partially_received' && t.lines.every((line) => line.inTransit === 0)

/** The transfer the hash names (#/transfers/<id>), if any. */
function openedId(): string | null {
  const match = /^#\/transfers\/(.+)$/.exec(location.hash)
  return match ? decodeURIComponent(match[1]) : null
}

/** A short, readable name for a transfer: its reference, else the start of its id. */
export function label(t: Transfer): string {
  return t.reference || t.id.slice(0, 8)
}

export function Transfers({ me, words, onRefused }: Props) {
  const [rows, setRows] = useState(new Map<string, Transfer>())
  const [connected, setConnected] = useState(true)
  const [loaded, setLoaded] = useState(false)
  const [opened, setOpened] = useState(openedId)
  const [receiving, setReceiving] = useState<string | null>(null)
  // The last receipt recorded here, said once the form closes (the row alone changes quietly).
  const [recorded, setRecorded] = useState<Transfer | null>(null)
  const mayAct = mayDo(me, 'operator')
  const [closeProblem, setCloseProblem] = useState('')

  // A Close sent again after no answer is the same write (WriteKey), per transfer.
  const closing = useRef(new Map<string, WriteKey>())
  async function close(id: string) {
    setCloseProblem('')
    const key = closing.current.get(id) ?? new WriteKey()
    closing.current.set(id, key)
    try {
      const url = `/transfers/${encodeURIComponent(id)}/receive`
      const done = await call<TransferDetail>(url, {
        method: 'POST',
        body: { lines: [], final: true },
        key,
      })
      upsert(done)
      setRecorded(done)
    } catch (error) {
      setCloseProblem(problemOf(error, words))
    }
  }

  // The latest hundred each way, and every one still open here however old: one waiting to be
  // received (or closed) must not drop off the list because a hundred newer ones came after it.
  async function reload() {
    const lists = await Promise.all([
      ...(['in', 'out'] as const).map(async (direction) => {
        const page = await call<TransferPage>(`/transfers?direction=${direction}&limit=100`)
        return page.transfers
      }),
      ...OPEN_IN.map((state) => everyOne('in', state)),
      ...OPEN_OUT.map((state) => everyOne('out', state)),
    ])
    setRows(new Map(lists.flat().map((t) => [t.id, t])))
    setLoaded(true)
  }
  const upsert = (t: Transfer) => setRows((before) => new Map(before).set(t.id, t))

  useEffect(() => {
    const onHash = () => setOpened(openedId())
    addEventListener('hashchange', onHash)
    const stop = follow({
      types: ['transfer.changed'],
      onRefused,
      onConnected(open) {
        setConnected(open)
        if (open) reload().catch(() => setConnected(false))
      },
      onEvent: (event: NodeEvent) => upsert(event.data as Transfer),
    })
    return () => (stop(), removeEventListener('hashchange', onHash))
  }, [])

  const all = [...rows.values()].sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1))
  const incoming = all.filter((t) => t.direction === 'in')
  const outgoing = all.filter((t) => t.direction === 'out')
  const story = opened ? rows.get(opened) : undefined
  const toReceive = receiving ? rows.get(receiving) : undefined

  return (
    <main>
      <OfflineBanner connected={connected} words={words} />
      {opened ? (
        <Story id={opened} version={story?.updatedAt} words={words} mayAct={mayAct} />
      ) : (
        <>
          {mayAct && <SendForm words={words} onSent={upsert} />}
          <section aria-labelledby="incoming-title" aria-busy={!loaded}>
            <h2 id="incoming-title">
              {words.incoming} {connected && <span class="live-badge">● {words.live}</span>}
            </h2>
            <List
              rows={incoming}
              words={words}
              onReceive={mayAct ? (id) => (setRecorded(null), setReceiving(id)) : undefined}
              onClose={mayAct ? (id) => (setRecorded(null), close(id)) : undefined}
            />
            {toReceive && receivable(toReceive) && (
              <ReceiveForm
                key={toReceive.id}
                transfer={toReceive}
                words={words}
                onDone={(t) => (upsert(t), setReceiving(null), setRecorded(t))}
                onCancel={() => setReceiving(null)}
              />
            )}
            <p role="status" class="done">
              {recorded &&
                !toReceive &&
                `${words.receiptRecorded} ${label(recorded)} · ${recorded.peerName} · ${words.transferStates[recorded.state]}`}
            </p>
            {closeProblem && (
              <p role="alert" class="problem">
                {closeProblem}
              </p>
            )}
          </section>
          <section aria-labelledby="outgoing-title">
            <h2 id="outgoing-title">{words.outgoing}</h2>
            <List rows={outgoing} words={words} />
          </section>
        </>
      )}
    </main>
  )
}

function List(props: {
  rows: Transfer[]
  words: Words
  onReceive?(id: string): void
  onClose?(id: string): void
}) {
  const { rows, words, onReceive, onClose } = props
  if (rows.length === 0) return <p class="hint">{words.noTransfers}</p>
  return (
    <table class="transfers cards">
      <thead>
        <tr>
          <th scope="col">{words.transfer}</th>
          <th scope="col">{words.warehouse}</th>
          <th scope="col">{words.goods}</th>
          <th scope="col">{words.state}</th>
          {onReceive && <th scope="col">{words.action}</th>}
        </tr>
      </thead>
      <tbody>
        {rows.map((t) => (
          <tr key={t.id} data-transfer={t.id} data-state={t.state}>
            <td data-label={words.transfer}>
              <a href={`#/transfers/${encodeURIComponent(t.id)}`}>{label(t)}</a>
            </td>
            <td data-label={words.warehouse}>{t.peerName}</td>
            <td data-label={words.goods}>
              {t.lines.map((l) => `${l.sku} × ${l.sent || l.inTransit}`).join(', ')}
            </td>
            <td class="state" data-label={words.state}>
              {words.transferStates[t.state]}
            </td>
            {onReceive && (
              <td class="action">
                {receivable(t) && (
                  <button type="button" onClick={() => onReceive(t.id)}>
                    {words.receive} {label(t)}
                  </button>
                )}
                {onClose && closable(t) && (
                  <button type="button" onClick={() => onClose(t.id)}>
                    {words.closeTransfer} {label(t)}
                  </button>
                )}
              </td>
            )}
          </tr>
        ))}
      </tbody>
    </table>
  )
}

type Lot = { sku: string; quantity: number }

/**
 * The lines with a lot scanned: a SKU on them already gets more (a second scan is a second lot,
 * as in the text client), whatever its case (the node's catalogue upper-cases SKUs).
 */
function withLot(lines: Lot[], lot: Lot): Lot[] {
  const same = (l: Lot) => l.sku.toUpperCase() === lot.sku.toUpperCase()
  return lines.some(same)
    ? lines.map((l) => (same(l) ? { ...l, quantity: l.quantity + lot.quantity } : l))
    : [...lines, lot]
}

/** Lines scanned one at a time (SKU, Enter, quantity, Enter), then sent to one warehouse. */
function SendForm({ words, onSent }: { words: Words; onSent(t: Transfer): void }) {
  // Sent again after no answer, the same transfer (WriteKey); a new one once it was answered.
  const key = useRef(new WriteKey())
  // null until /members answers: the list is not known yet, which is not "no other warehouse".
  const [peers, setPeers] = useState<Network['members'] | null>(null)
  const members = peers ?? []
  const [lines, setLines] = useState<Lot[]>([])
  // A question (asking) is neither done nor a problem: said as a status, in plain words.
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string; asking?: boolean } | null>(
    null
  )
  const [busy, setBusy] = useState(false)
  const to = useRef<HTMLSelectElement>(null)
  const sku = useRef<HTMLInputElement>(null)
  const quantity = useRef<HTMLInputElement>(null)
  const reference = useRef<HTMLInputElement>(null)
  useEffect(() => {
    call<Network>('/members').then(
      (network) => setPeers(network.members.filter((m) => !m.self && m.state !== 'left')),
      // Said, not swallowed: an empty list would read as a warehouse alone in the network.
      (error) => setOutcome({ ok: false, text: problemOf(error, words) })
    )
  }, [])

  function addLine(): boolean {
    const given = sku.current!.value.trim()
    const count = wholeOf(quantity.current!.value)
    if (!given || !Number.isInteger(count) || count < 1) return false
    setLines((before) => withLot(before, { sku: given, quantity: count }))
    unask() // scanning on: the question is not answered
    sku.current!.value = ''
    quantity.current!.value = ''
    sku.current!.focus()
    return true
  }

  /** With two or more warehouses to choose from, none is assumed: false, and the list focused. */
  function chosen(): boolean {
    if (to.current!.value) return true
    setOutcome({ ok: false, text: words.chooseWarehouseFirst })
    to.current!.focus()
    return false
  }

  /** The question is for what it named: a change of warehouse, lines or reference drops it. */
  const unask = () => setOutcome((was) => (was?.asking ? null : was))

  /**
   * An empty scan asks before the goods leave: a scanner's stray Enter after the last quantity
   * must not send them. The focus stays where scanning goes on: the next scan adds a line (and
   * drops the question), Enter again on the empty SKU sends.
   */
  function askToSend() {
    if (!chosen()) return
    const name = to.current!.selectedOptions[0]?.textContent?.replace(/ \(.*\)$/, '') ?? ''
    setOutcome({ ok: true, asking: true, text: words.sendAsk(lines.length, name) })
    sku.current!.focus()
  }

  async function send() {
    // Enter must not send to the first of a list the clerk never looked at.
    if (!chosen()) return
    const pending = sku.current!.value.trim()
      ? [{ sku: sku.current!.value.trim(), quantity: wholeOf(quantity.current!.value) }]
      : []
    const all = pending.reduce(withLot, lines)
    setBusy(true)
    try {
      const ref = reference.current!.value.trim()
      const body = { to: to.current!.value, lines: all, ...(ref ? { reference: ref } : {}) }
      const sent = await call<Transfer>('/transfers', { method: 'POST', body, key: key.current })
      onSent(sent)
      setOutcome({ ok: true, text: `${words.sentTo} ${sent.peerName}: ${label(sent)}` })
      setLines([])
      sku.current!.value = ''
      quantity.current!.value = ''
      reference.current!.value = ''
      sku.current!.focus()
    } catch (error) {
      setOutcome({ ok: false, text: problemOf(error, words) })
    } finally {
      setBusy(false)
    }
  }

  function onKeyDown(event: KeyboardEvent) {
    if (event.key !== 'Enter') return
    event.preventDefault()
    const onSku = event.currentTarget === sku.current
    if (onSku && sku.current!.value.trim()) return quantity.current!.focus()
    // An empty scan, or a scanned delivery note's Enter, asks to send what is listed; asked
    // already, it sends.
    if (onSku || event.currentTarget === reference.current) {
      if (lines.length === 0 || busy) return
      return outcome?.asking ? void send() : askToSend()
    }
    addLine()
  }

  return (
    <section aria-labelledby="send-title" class="send">
      <h2 id="send-title">{words.sendTitle}</h2>
      <form onSubmit={(e) => (e.preventDefault(), void send())}>
        <label>
          {words.sendTo}
          <select ref={to} name="to" required onChange={unask}>
            {members.length > 1 && <option value="">{words.chooseWarehouse}</option>}
            {members.map((m) => (
              <option key={m.id} value={m.id}>
                {m.name} ({words.memberStates[m.state]})
              </option>
            ))}
          </select>
        </label>
        <label>
          {words.sku}
          <input ref={sku} name="send-sku" autocomplete="off" onKeyDown={onKeyDown} />
        </label>
        <label>
          {words.quantity}
          <input
            ref={quantity}
            name="send-quantity"
            type="number"
            inputMode="numeric"
            min="1"
            step="1"
            onKeyDown={onKeyDown}
          />
        </label>
        <label>
          {words.reference}
          <input
            ref={reference}
            name="send-reference"
            autocomplete="off"
            onKeyDown={onKeyDown}
            onInput={unask}
          />
        </label>
        <button type="submit" disabled={busy || members.length === 0}>
          {words.send}
        </button>
      </form>
      {lines.length > 0 && (
        <ul class="lines" aria-label={words.goods}>
          {lines.map((l) => (
            <li key={l.sku}>
              {l.sku} × {l.quantity}{' '}
              <button
                type="button"
                class="link"
                onClick={() => (unask(), setLines(lines.filter((x) => x !== l)))}
              >
                {words.remove} {l.sku}
              </button>
            </li>
          ))}
        </ul>
      )}
      {peers && <p class="hint">{peers.length === 0 ? words.noPeers : words.sendKeys}</p>}
      <p
        role={outcome?.ok === false ? 'alert' : 'status'}
        class={outcome?.asking ? 'asking' : outcome?.ok ? 'done' : 'problem'}
      >
        {outcome?.text}
      </p>
    </section>
  )
}

interface ReceiveProps {
  transfer: Transfer
  words: Words
  onDone(t: Transfer): void
  onCancel(): void
}

/** A count as typed: blank is 0, else a whole number, else NaN. */
const countOf = (typed: string) => (typed.trim() === '' ? 0 : wholeOf(typed))

/**
 * The counts typed in a form's number fields, in order, and the fields: NaN where the browser
 * could not read what was typed (its value is then ""), never taken as 0.
 */
function typedCounts(form: HTMLFormElement) {
  const fields = [...form.querySelectorAll<HTMLInputElement>('input[type=number]')]
  return { fields, counts: fields.map((f) => (f.validity.badInput ? NaN : countOf(f.value))) }
}

/** A whole number of a line, at most `max`, as a form's list of counts keeps it. */
function CountField(props: {
  name: string
  max: number
  counts: string[]
  at: number
  onCounts(counts: string[]): void
  onKeyDown?(event: KeyboardEvent): void
}) {
  const { name, max, counts, at, onCounts, onKeyDown } = props
  return (
    <input
      type="number"
      name={name}
      min="0"
      max={max}
      step="1"
      value={counts[at]}
      onInput={(e) => onCounts(counts.map((c, j) => (j === at ? e.currentTarget.value : c)))}
      onKeyDown={onKeyDown}
    />
  )
}

/**
 * What arrived, line by line, with what is still due filled in, and of what arrived how much is
 * damaged: Enter moves on, Enter on the last records. Damaged goods, and on a final receipt what
 * did not come, are sent back or written off by the sender, as chosen for the line.
 */
function ReceiveForm({ transfer, words, onDone, onCancel }: ReceiveProps) {
  const key = useRef(new WriteKey()) // a receipt recorded again after no answer: the same one
  const due = transfer.lines.filter((l) => l.inTransit > 0)
  const [counts, setCounts] = useState(due.map((l) => String(l.inTransit)))
  const [damaged, setDamaged] = useState(due.map(() => ''))
  // Written off unless chosen otherwise, as in the text client: goods that did not come may never
  // have left, and sent back they would be on the road to the sender.
  const [dispositions, setDispositions] = useState(due.map(() => 'write_off'))
  const [final, setFinal] = useState(true)
  /**
   * What a final receipt would leave missing, as last shown with its choice (a key of the lines
   * and counts): recorded only once what is missing now was shown.
   */
  const [shortShown, setShortShown] = useState('')
  const [problem, setProblem] = useState('')
  const [busy, setBusy] = useState(false)
  const form = useRef<HTMLFormElement>(null)
  useEffect(() => {
    const first = form.current!.querySelector<HTMLInputElement>('input[type=number]')
    first?.focus()
    first?.select()
  }, [])

  async function record() {
    // A blank count is 0 (the rest is short); anything else must be a whole number, and is never
    // taken as 0: a final receipt would send back or write off what the count says is missing.
    // What the browser cannot read as a number has the value "", and says so. The fields come
    // in pairs: what of a line arrived, then how many of those are damaged.
    const { fields, counts: typed } = typedCounts(form.current!)
    const unread = typed.findIndex(Number.isNaN)
    if (unread >= 0) {
      setProblem(`${due[Math.floor(unread / 2)].sku}: ${words.amountNotWhole}`)
      return fields[unread].select()
    }
    const arrived = due.map((_, i) => typed[2 * i])
    const broken = due.map((_, i) => typed[2 * i + 1])
    // As the text client: a count over what is due is a typo until shown otherwise (the node
    // would book the excess as a receipt of its own, and a 30 typed for 3 would add 27).
    const over = due.findIndex((line, i) => arrived[i] > line.inTransit)
    if (over >= 0) {
      setProblem(
        `${due[over].sku}: ${arrived[over]} ${words.moreThanDue} ${due[over].inTransit} ${words.onTheWayOnly}`
      )
      return fields[2 * over].select()
    }
    const tooBroken = due.findIndex((_, i) => broken[i] > arrived[i])
    if (tooBroken >= 0) {
      setProblem(
        `${due[tooBroken].sku}: ${broken[tooBroken]} ${words.moreDamagedThanArrived} ${arrived[tooBroken]}`
      )
      return fields[2 * tooBroken + 1].select()
    }
    // A final receipt with goods missing is not recorded from the keys alone: what becomes of
    // them (and whether this is the last receipt) is asked first, the choice in view; asked again
    // when what is missing changes.
    const missing = final
      ? due.flatMap((line, i) =>
          arrived[i] < line.inTransit
            ? [{ i, text: `${line.sku}: ${line.inTransit - arrived[i]}` }]
            : []
        )
      : []
    const shown = missing.map((m) => m.text).join(', ')
    if (missing.length > 0 && shown !== shortShown) {
      setShortShown(shown)
      setProblem(`${shown} ${words.missingAsk}`)
      const row = form.current!.querySelectorAll('.receive-line')[missing[0].i]
      return row?.querySelector<HTMLSelectElement>('select')?.focus()
    }
    setBusy(true)
    try {
      const lines = due.map((line: TransferLine, i) => {
        const short = final ? Math.max(0, line.inTransit - arrived[i]) : 0
        const rest = {
          ...(broken[i] > 0 && { damaged: broken[i] }),
          ...(short > 0 && { short }),
          ...((broken[i] > 0 || short > 0) && { disposition: dispositions[i] }),
        }
        return { sku: line.sku, received: arrived[i] - broken[i], ...rest }
      })
      const body = { lines: lines.filter((l) => l.received > 0 || 'disposition' in l), final }
      const url = `/transfers/${encodeURIComponent(transfer.id)}/receive`
      onDone(await call<TransferDetail>(url, { method: 'POST', body, key: key.current }))
    } catch (error) {
      setProblem(problemOf(error, words))
    } finally {
      setBusy(false)
    }
  }

  function onKeyDown(event: KeyboardEvent) {
    if (event.key === 'Escape') return onCancel()
    if (event.key !== 'Enter') return
    event.preventDefault()
    const fields = [...form.current!.querySelectorAll<HTMLInputElement>('input[type=number]')]
    const at = fields.indexOf(event.currentTarget as HTMLInputElement)
    // Selected, as the first is: a count typed there replaces the figure filled in (10 then
    // typed 10 read 1010).
    const next = fields[at + 1]
    if (at >= 0 && next) return (next.focus(), next.select())
    if (!busy) void record()
  }

  return (
    <form
      ref={form}
      class="receive"
      aria-labelledby="receive-title"
      onSubmit={(e) => (e.preventDefault(), void record())}
    >
      <h3 id="receive-title">
        {words.receiveTitle} {label(transfer)} · {transfer.peerName}
      </h3>
      {due.map((line, i) => (
        <div class="receive-line" key={line.sku}>
          <label>
            {line.sku}: {words.arrived} ({words.due} {line.inTransit})
            <CountField
              name={`received-${line.sku}`}
              max={line.inTransit}
              counts={counts}
              at={i}
              onCounts={setCounts}
              onKeyDown={onKeyDown}
            />
          </label>
          <label>
            {words.ofThemDamaged}
            <CountField
              name={`damaged-${line.sku}`}
              max={line.inTransit}
              counts={damaged}
              at={i}
              onCounts={setDamaged}
              onKeyDown={onKeyDown}
            />
          </label>
          {(countOf(damaged[i]) > 0 || (final && countOf(counts[i]) < line.inTransit)) && (
            <label>
              {countOf(damaged[i]) > 0 ? words.damagedAndRest : words.theRest}
              <select
                value={dispositions[i]}
                onChange={(e) =>
                  setDispositions(dispositions.map((d, j) => (j === i ? e.currentTarget.value : d)))
                }
              >
                <option value="return">{words.sendBack}</option>
                <option value="write_off">{words.writeOff}</option>
              </select>
            </label>
          )}
        </div>
      ))}
      <label class="check">
        <input
          type="checkbox"
          checked={final}
          onChange={(e) => setFinal(e.currentTarget.checked)}
        />
        {words.finalReceipt}
      </label>
      <div class="actions">
        <button type="submit" disabled={busy}>
          {words.record}
        </button>
        <button type="button" class="secondary" onClick={onCancel}>
          {words.cancel}
        </button>
      </div>
      <p class="hint">{words.receiveKeys}</p>
      {problem && (
        <p role="alert" class="problem">
          {problem}
        </p>
      )}
    </form>
  )
}

/** The word heading each figure of a transfer's line (the columns: figuresShown). */
const FIGURE_WORDS: Record<LineFigure, keyof Words> = {
  sent: 'sentCol',
  received: 'receivedCol',
  damaged: 'damagedCol',
  short: 'shortCol',
  toWriteOff: 'toWriteOffCol',
  toReturn: 'toReturnCol',
  returned: 'returnedCol',
  writtenOff: 'writtenOffCol',
  inTransit: 'inTransit',
}

/** A transfer's lines as the text client tells them: sent, received, in transit, and any other some line has. */
function LinesTable({ lines, words }: { lines: TransferLine[]; words: Words }) {
  const shown = figuresShown(lines)
  return (
    <table class="lines cards">
      <thead>
        <tr>
          <th scope="col">{words.sku}</th>
          {shown.map((f) => (
            <th scope="col" class="num" key={f} data-figure={f}>
              {words[FIGURE_WORDS[f]] as string}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {lines.map((l) => (
          <tr key={l.sku}>
            <td class="sku">{l.sku}</td>
            {shown.map((f) => (
              <td class="num" key={f} data-figure={f} data-label={words[FIGURE_WORDS[f]] as string}>
                {l[f]}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  )
}

/** The form of that step: a reason where one is asked for, and its button. */
function StepForm(props: {
  detail: TransferDetail
  step: TransferStep
  words: Words
  onDone(t: TransferDetail): void
}) {
  const { detail, step, words, onDone } = props
  const key = useRef(new WriteKey()) // the step sent again after no answer: the same write
  const [reason, setReason] = useState('')
  const [problem, setProblem] = useState('')
  const [busy, setBusy] = useState(false)
  const asksWhy = step !== 'return'
  const due = step === 'return' ? dueBack(detail) : []
  const [counts, setCounts] = useState(due.map((l) => String(l.due)))
  // Due back by a receipt (not a rejection or a cancel, whose goods come back whole): what will
  // not come back may be written off, asked twice.
  const mayWriteOff = step === 'return' && detail.receipts.length > 0
  const [writingOff, setWritingOff] = useState(false)
  const form = useRef<HTMLFormElement>(null)
  async function writeOff() {
    if (!writingOff) {
      setProblem('')
      return setWritingOff(true)
    }
    setBusy(true)
    try {
      const url = `/transfers/${encodeURIComponent(detail.id)}/write-off`
      // What the question named, not whatever is due when the request lands.
      const lines = due.map(({ sku, due: quantity }) => ({ sku, quantity }))
      onDone(await call<TransferDetail>(url, { method: 'POST', body: { lines }, key: key.current }))
    } catch (error) {
      setProblem(problemOf(error, words))
    } finally {
      setWritingOff(false) // asked again before another try
      setBusy(false)
    }
  }
  async function take() {
    const { fields, counts: typed } = typedCounts(form.current!)
    const back = due.map((l, i) => ({ sku: l.sku, quantity: typed[i] }))
    const unread = typed.findIndex(Number.isNaN)
    if (unread >= 0) {
      setProblem(`${back[unread].sku}: ${words.amountNotWhole}`)
      return fields[unread].select()
    }
    const lines = back.filter((l) => l.quantity > 0)
    if (step === 'return' && lines.length === 0) return setProblem(words.nothingBack)
    setBusy(true)
    try {
      const path = step === 'undo' ? 'reject' : step
      const url = `/transfers/${encodeURIComponent(detail.id)}/${path}`
      const body = asksWhy ? { reason } : { lines }
      onDone(await call<TransferDetail>(url, { method: 'POST', body, key: key.current }))
      setProblem('')
    } catch (error) {
      setProblem(problemOf(error, words))
    } finally {
      setBusy(false)
    }
  }
  return (
    <form
      ref={form}
      class="transfer-step"
      data-step={step}
      aria-labelledby="step-title"
      onSubmit={(e) => (e.preventDefault(), void take())}
    >
      <h3 id="step-title">{words.stepTitles[step]}</h3>
      <p class="hint">{words.stepHints[step]}</p>
      {due.map((line, i) => (
        <label key={line.sku}>
          {line.sku}: {words.cameBack} ({words.due} {line.due})
          <CountField
            name={`back-${line.sku}`}
            max={line.due}
            counts={counts}
            at={i}
            onCounts={setCounts}
          />
        </label>
      ))}
      {asksWhy && (
        <label>
          {words.reason}
          <input
            name="reason"
            required
            maxLength={1000}
            value={reason}
            onInput={(e) => setReason(e.currentTarget.value)}
          />
        </label>
      )}
      <div class="actions">
        <button type="submit" disabled={busy}>
          {words.stepButtons[step]}
        </button>
        {mayWriteOff && (
          <button
            type="button"
            class="secondary"
            name="write-off"
            disabled={busy}
            onClick={() => void writeOff()}
          >
            {writingOff ? words.writeOffSure : words.writeOffDue}
          </button>
        )}
      </div>
      {writingOff && (
        <p role="alert" class="problem">
          {words.writeOffAsk(due.map((l) => `${l.sku} ×${l.due}`).join(', '))}
        </p>
      )}
      {problem && (
        <p role="alert" class="problem">
          {problem}
        </p>
      )}
    </form>
  )
}

/**
 * One transfer as this node knows it: its lines, its receipts, every message and its fate, and
 * the step it waits on here, for an operator.
 */
function Story(props: { id: string; version?: string; words: Words; mayAct: boolean }) {
  const { id, version, words, mayAct } = props
  const [detail, setDetail] = useState<TransferDetail | null>(null)
  const [problem, setProblem] = useState('')
  useEffect(() => {
    call<TransferDetail>(`/transfers/${encodeURIComponent(id)}`).then(
      (d) => (setDetail(d), setProblem('')),
      (error) => setProblem(problemOf(error, words))
    )
  }, [id, version]) // asked again when the stream says it changed
  const at = (iso: string | null) => (iso ? agoSince(iso, words.locale) : '—')
  return (
    <section aria-labelledby="story-title" class="story">
      <p>
        <a href="#/transfers">← {words.allTransfers}</a>
      </p>
      {problem && (
        <p role="alert" class="problem">
          {problem}
        </p>
      )}
      {detail && (
        <>
          <h2 id="story-title">
            {detail.direction === 'out' ? words.outgoing : words.incoming}: {label(detail)}
          </h2>
          <dl class="facts">
            <dt>{detail.direction === 'out' ? words.sendTo : words.from}</dt>
            <dd>{detail.peerName}</dd>
            <dt>{words.state}</dt>
            <dd data-testid="story-state">
              {words.transferStates[detail.state]}
              {detail.outcome && ` · ${words.outcomes[detail.outcome]}`}
            </dd>
            <dt>{words.made}</dt>
            <dd>{at(detail.createdAt)}</dd>
            {detail.note && (
              <>
                <dt>{words.note}</dt>
                <dd>{detail.note}</dd>
              </>
            )}
            {detail.reason && (
              <>
                <dt>{words.reason}</dt>
                <dd>{detail.reason}</dd>
              </>
            )}
            {detail.outOfStep && (
              <>
                <dt>{words.outOfStep}</dt>
                <dd>{detail.outOfStep}</dd>
              </>
            )}
          </dl>
          <LinesTable lines={detail.lines} words={words} />
          <h3>{words.messages}</h3>
          <ol class="messages">
            {detail.messages.map((m) => (
              <li
                key={m.id}
                data-kind={m.kind}
                data-delivered={m.deliveredAt ? 'yes' : 'no'}
                data-status={m.status}
              >
                <strong>{words.messageKinds[m.kind]}</strong>{' '}
                {m.direction === 'outbound' ? words.sentOut : words.cameIn} {at(m.createdAt)}
                {m.status === 'refused'
                  ? m.direction === 'outbound'
                    ? ` · ${words.refusedByPeer} ${at(m.deliveredAt ?? m.createdAt)}: ${(m.lastError ?? '').replace(/^refused by the peer: /, '')}`
                    : ` · ${words.refusedHere}`
                  : m.direction === 'outbound' &&
                    (m.deliveredAt
                      ? ` · ${words.delivered} ${at(m.deliveredAt)}`
                      : ` · ${words.waiting} (${m.attempts} ${words.attempts}${m.lastError ? `: ${m.lastError}` : ''})`)}
              </li>
            ))}
          </ol>
          {mayAct && stepOn(detail) && (
            <StepForm
              key={`${detail.state}-${detail.updatedAt}`}
              detail={detail}
              step={stepOn(detail) as TransferStep}
              words={words}
              onDone={setDetail}
            />
          )}
          {detail.receipts.length > 0 && (
            <>
              <h3>{words.receipts}</h3>
              <ul>
                {detail.receipts.map((r) => (
                  <li key={r.receiptId}>
                    {r.receiptId} · {at(r.createdAt)}
                    {r.final && ` · ${words.finalReceipt}`}
                  </li>
                ))}
              </ul>
            </>
          )}
        </>
      )}
    </section>
  )
}
