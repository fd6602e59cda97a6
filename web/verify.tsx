// The ledger check: POST /ledger/verify (operator), with its result in words: how much was
// checked, the head that stands for the whole ledger, and what each difference means.
import { useState } from 'preact/hooks'
import type { LedgerCheck, LedgerDifference } from '../api/index.ts'
import { call, Refused } from './api.ts'
import type { Words } from './i18n.ts'
import { Problem, problemOf, type ScreenProps } from './screen.tsx'

/** What each kind of difference means, and what can be done about it. */
const MEANING: Record<LedgerDifference['kind'], keyof Words> = {
  gap: 'chainBreakMeans',
  chain: 'chainBreakMeans',
  hash: 'chainBreakMeans',
  head: 'chainBreakMeans',
  'balance-after': 'balanceMeans',
  balance: 'balanceMeans',
  negative: 'balanceMeans',
  witness: 'witnessMeans',
}

export function Verify({ words, onRefused }: ScreenProps) {
  const [busy, setBusy] = useState(false)
  const [check, setCheck] = useState<LedgerCheck | null>(null)
  const [problem, setProblem] = useState('')

  async function verify() {
    setBusy(true)
    setProblem('')
    try {
      setCheck(await call<LedgerCheck>('/ledger/verify', { method: 'POST', body: {} }))
    } catch (error) {
      if (error instanceof Refused && error.status === 401) onRefused(error.message)
      else setProblem(problemOf(error, words))
    } finally {
      setBusy(false)
    }
  }

  return (
    <main>
      <section aria-labelledby="verify-title" class="verify">
        <h2 id="verify-title">{words.verifyTitle}</h2>
        <p>{words.verifyIntro}</p>
        <button type="button" onClick={verify} disabled={busy} aria-describedby="verify-title">
          {busy ? words.verifying : words.verifyNow}
        </button>
        <Problem text={problem} />
        <div role="status">{check && <Result check={check} words={words} />}</div>
      </section>
    </main>
  )
}

function Result({ check, words }: { check: LedgerCheck; words: Words }) {
  // One explanation per meaning, however many differences share it.
  const meanings = [...new Set(check.differences.map((d) => MEANING[d.kind]))]
  const witnesses = check.witnesses
  return (
    <div class={check.ok ? 'verdict good' : 'verdict bad'} data-testid="verdict">
      <p class="verdict-line">
        {check.ok ? words.verifyOk : `${words.verifyBad} (${check.differences.length})`}
      </p>
      <dl>
        <dt>{words.checkedLabel}</dt>
        <dd data-testid="checked">
          {check.checked.movements} {words.movementsWord}, {check.checked.balances}{' '}
          {words.balancesWord}
        </dd>
        <dt>{words.headLabel}</dt>
        <dd data-testid="head">
          #{check.head.seq} <code class="hash">{check.head.hash}</code>
        </dd>
      </dl>
      <p class="hint">{words.headMeans}</p>
      {check.differences.length > 0 && (
        <>
          <h3>{words.differences}</h3>
          <ul class="differences">
            {check.differences.map((d, i) => (
              <li key={i}>
                <code>{d.kind}</code> {d.message}
              </li>
            ))}
          </ul>
          {meanings.map((word) => (
            <p key={word}>{words[word]}</p>
          ))}
        </>
      )}
      {witnesses && (
        <>
          <h3>{words.witnesses}</h3>
          <p>{witnesses.available ? witnesses.summary : words.noWitness}</p>
          <ul>
            {witnesses.witnesses.map((w) => (
              <li key={w.peer.id}>
                <strong>{w.peer.name}</strong>: {words[VERDICT[w.verdict]]} — {w.message}
                {w.accepted &&
                  ` (${words.acceptedOn} ${w.accepted.acceptedAt.slice(0, 16).replace('T', ' ')}: ${w.accepted.reason})`}
              </li>
            ))}
          </ul>
        </>
      )}
    </div>
  )
}

const VERDICT: Record<'agrees' | 'differs' | 'silent', keyof Words> = {
  agrees: 'witnessAgrees',
  differs: 'witnessDiffers',
  silent: 'witnessSilent',
}
