// What every screen of the web client takes, and what they share: who may see or do what, the
// banner that says the node cannot be reached, and asks that a later one overtakes.
import { useRef } from 'preact/hooks'
import type { Me, RoleName } from '../api/index.ts'
import { Refused } from './api.ts'
import type { Words } from './i18n.ts'

/** The props of a screen (a row of the router's table in main.tsx). */
export interface ScreenProps {
  me: Me
  words: Words
  /** The node no longer takes the token: sign out, with its sentence. */
  onRefused(sentence: string): void
}

// Each role may do what the ones before it may (api/access.ts).
const RANK: Record<RoleName, number> = { viewer: 0, operator: 1, admin: 2 }

/** Whether `me` holds `least` or a stronger role. */
export function mayDo(me: Me, least: RoleName): boolean {
  return RANK[me.role] >= RANK[least]
}

/** What to show for a failed call: the node's sentence, or that it cannot be reached. */
export function problemOf(error: unknown, words: Words): string {
  return error instanceof Refused ? error.message : words.offline
}

export function OfflineBanner(props: { words: Words; connected: boolean }) {
  if (props.connected) return null
  return (
    <p role="alert" class="offline">
      {props.words.offline}
    </p>
  )
}

/** A refusal or failure, announced; nothing when there is none. */
export function Problem({ text }: { text: string }) {
  if (!text) return null
  return (
    <p role="alert" class="problem">
      {text}
    </p>
  )
}

/**
 * For asks that may overtake one another (a search typed on, a scan after a scan): `latest(ask,
 * use, fail)` hands `use` the answer, or `fail` the error, only when no later ask was made
 * through it meanwhile; an overtaken answer is dropped.
 */
export function useLatest() {
  const asked = useRef(0)
  return async function latest<T>(
    ask: Promise<T>,
    use: (answer: T) => void,
    fail: (error: unknown) => void
  ): Promise<void> {
    const mine = ++asked.current
    let answer: T
    try {
      answer = await ask
    } catch (error) {
      if (mine === asked.current) fail(error)
      return
    }
    if (mine === asked.current) use(answer)
  }
}
