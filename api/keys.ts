// The cluster's keys as the REST surface shows them (GET /keys, POST /keys, POST /keys/:id/use,
// DELETE /keys/:id). A key is only ever shown by its id, a hash of it; the key itself goes in
// once, to POST /keys, or comes out once, when the node makes it (generate).
import { z } from 'zod'
import type { MemberState } from './members.ts'

/** The shortest cluster key taken, wherever one comes from: it is all that guards the network. */
export const MIN_KEY_LENGTH = 16

export const keyId = z.string().regex(/^[0-9a-f]{16}$/, { error: 'a key id is 16 hex digits' })

/** POST /keys: a key of MIN_KEY_LENGTH characters or more (as ALMACEN_CLUSTER_KEY), or one made here. */
export const keyInput = z
  .strictObject({
    key: z
      .string({ error: 'must be a string' })
      .min(MIN_KEY_LENGTH, {
        error: `must be at least ${MIN_KEY_LENGTH} characters: it is all that guards the network`,
      })
      .max(512, { error: 'must be at most 512 characters' })
      // Sent to the members sealed, at most 768 bytes (network/keyring/keyring.ts): counted in
      // bytes too, so a key of many-byte characters is refused here, not by every member.
      .refine((key) => new TextEncoder().encode(key).length <= 512, {
        error: 'must be at most 512 bytes in UTF-8',
      })
      .optional(),
    generate: z.literal(true, { error: 'must be true, to have the node make the key' }).optional(),
    /**
     * Installed on this node alone, not sent to the members: after a leak, on each node through
     * its own API, so that the new key never crosses the network sealed under the leaked one.
     */
    here: z.boolean({ error: 'must be true or false' }).optional(),
  })
  .refine((input) => (input.key === undefined) !== (input.generate === undefined), {
    error: 'give the key (key) or ask the node to make one (generate: true), not both',
  })

/** One member's keys, as it answered: each by id, the primary one signing what it sends. */
export interface MemberKeys {
  id: string
  name: string
  state: MemberState
  self: boolean
  /** Its keys; null when it was not asked (failed) or did not answer. */
  keys: { id: string; primary: boolean }[] | null
  /** Why it has no answer, in a sentence. */
  problem: string | null
}

/** The network's keys: each key with how many of the members that answered hold it and sign with it. */
export interface KeyringReport {
  keys: { id: string; installedOn: number; primaryOn: number }[]
  /** Members asked (alive and suspect, this node included) and how many answered; failed and left ones are listed, not asked. */
  asked: number
  answered: number
  members: MemberKeys[]
}

/** POST /keys: the key's id, the key itself only when the node made it, and the network after. */
export interface KeyInstalled extends KeyringReport {
  id: string
  /** The key the node made (generate): shown this once; keep it for ALMACEN_CLUSTER_KEY. */
  generated?: string
}
