// API tokens: made here (random, shown once), stored by the worker only as their SHA-256, and
// checked on every client request. A check costs a map lookup and, the first time a token is seen,
// its hash and one read by the worker; what the worker said is then kept for a short while, and
// forgotten at once when this node changes a user or a token, so a revocation takes effect on the
// next request.
import { createHash, randomBytes } from 'node:crypto'
import type { TokenHolder } from '../db/contract/index.ts'

/** Every token starts so: easy to tell from other secrets in a file or a leaked log. */
const TOKEN_PREFIX = 'almacen_'

export interface NewToken {
  /** The secret: given to its holder once, never stored. */
  token: string
  /** What the node stores. */
  hash: string
  /** What lists and revocations name it by. */
  id: string
}

const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex')

/** What every token this node makes looks like (newToken): anything else is no token of ours. */
const TOKEN_SHAPE = new RegExp(`^${TOKEN_PREFIX}[A-Za-z0-9_-]{43}$`)

/** A fresh token: 256 random bits. */
export function newToken(): NewToken {
  const token = TOKEN_PREFIX + randomBytes(32).toString('base64url')
  return { token, hash: hashToken(token), id: `tok_${randomBytes(6).toString('hex')}` }
}

/** How long what the worker said of a token is trusted before it is asked again. */
const HOLDER_TTL_MS = 30_000
/** At most so many tokens remembered: beyond it the memory starts over. */
const MAX_REMEMBERED = 10_000

interface Remembered {
  holder: TokenHolder
  until: number
}

/** Who holds a token, as this node's worker says, remembered briefly. */
export class TokenHolders {
  private readonly remembered = new Map<string, Remembered>()
  /** Grows at every forget: an answer asked for before it is not remembered after it. */
  private generation = 0

  constructor(
    /** The worker's answer to tokens.lookup. */
    private readonly ask: (hash: string) => Promise<TokenHolder | null>,
    private readonly now: () => number = Date.now
  ) {}

  /**
   * The holder remembered for this token, if still trusted: no promise and no hash on the common
   * path (the memory is this process's, where the token already is; it never reaches the disk).
   */
  remembering(token: string): TokenHolder | undefined {
    const found = this.remembered.get(token)
    if (!found) return undefined
    if (found.until > this.now()) return found.holder
    this.remembered.delete(token)
    return undefined
  }

  /** Asks the worker who holds the token (by its hash), and remembers it. */
  async lookup(token: string): Promise<TokenHolder | null> {
    // Not one this node could have made: known to be nobody's without asking. A stranger sending
    // any text as a token on every request would otherwise have the worker read for each, beside
    // the staff's requests, without ever being let in.
    if (!TOKEN_SHAPE.test(token)) return null
    const asked = this.generation
    const holder = await this.ask(hashToken(token))
    if (asked === this.generation) {
      if (this.remembered.size >= MAX_REMEMBERED) this.remembered.clear()
      // Unknown tokens are not remembered: a stranger's guesses must not fill the memory.
      if (holder) this.remembered.set(token, { holder, until: this.now() + HOLDER_TTL_MS })
    }
    return holder
  }

  /** After any change to users or tokens. */
  forget(): void {
    this.generation++
    this.remembered.clear()
  }
}
