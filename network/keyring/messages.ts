import { z } from 'zod'
import { keyId } from '../../api/keys.ts'
import type { ExchangeKind } from '../transport/transport.ts'
import { MAX_KEYS, sealedKey } from './keyring.ts'

// POST /peer/keyring: one step of a key rotation, asked of one member by the node an admin asked
// (or just its keys, `list`). A new key travels sealed under the sender's primary key.

export const keyringMessage = z.discriminatedUnion('op', [
  z.strictObject({ op: z.literal('list') }),
  z.strictObject({ op: z.literal('install'), key: sealedKey }),
  z.strictObject({ op: z.literal('use'), id: keyId }),
  z.strictObject({ op: z.literal('remove'), id: keyId }),
])
export type KeyringMessage = z.output<typeof keyringMessage>

/** Every answer is the member's keys after the step. */
export const keyringAnswer = z.object({
  keys: z.array(z.object({ id: keyId, primary: z.boolean() })).max(MAX_KEYS),
})
export type KeyringAnswer = z.output<typeof keyringAnswer>

export const KEYRING_EXCHANGE = {
  path: '/peer/keyring',
  message: keyringMessage,
  answer: keyringAnswer,
} satisfies ExchangeKind
