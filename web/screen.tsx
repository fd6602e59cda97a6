// What every screen of the web client takes, and what they share: who may see or do what, and
// the banner that says the node cannot be reached.
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
