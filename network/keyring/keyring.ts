// The cluster's keys on one node (serf's keyring): every installed key is accepted on a signed
// request, the primary one signs what this node sends. A rotation installs a new key everywhere,
// makes it primary everywhere, then removes the old one, so that at every step each member
// accepts what every other member signs and the network never splits (rotation.ts spreads the
// steps). The keys live in the node process only, never in the database worker.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { z } from 'zod'
import { keyId, MIN_KEY_LENGTH } from '../../api/keys.ts'
import { keyIdOf } from '../../lib/key-id.ts'
import { writePrivately } from '../../lib/private-file.ts'
import { ProtocolError } from '../transport/transport.ts'

/** The file in the data directory that holds a node's keys once a rotation has touched them. */
export const KEYRING_FILE = 'keyring.json'
/** More keys than a rotation ever needs at once (old, new, and one more to spare) plus slack. */
export const MAX_KEYS = 8

/** A key with the id that names it on the wire (a hash of it: the id gives nothing of the key away). */
export interface SigningKey {
  id: string
  secret: string
}

export function signingKey(secret: string): SigningKey {
  return { id: keyIdOf(secret), secret }
}

const base64 = (most: number) =>
  z
    .string()
    .regex(/^[A-Za-z0-9+/]*={0,2}$/)
    .max(most)

/** A key as a peer receives it: encrypted under the sender's primary key, which it names. */
export const sealedKey = z.object({
  with: keyId,
  iv: base64(32),
  data: base64(1024),
  tag: base64(32),
})
export type SealedKey = z.infer<typeof sealedKey>

export interface KeyEntry {
  id: string
  primary: boolean
}

const keyringFile = z.object({
  primary: keyId,
  keys: z.array(z.string().min(MIN_KEY_LENGTH)).min(1).max(MAX_KEYS),
})

function sealingKey(key: SigningKey): Buffer {
  return Buffer.from(hkdfSync('sha256', key.secret, '', 'almacen-keyring-seal', 32))
}

export class Keyring {
  private readonly keys = new Map<string, string>()
  private primaryId?: string
  /** The steps in the order they were asked: each one writes the file before the next starts. */
  private chain: Promise<unknown> = Promise.resolve()

  /** `file` undefined: kept in memory only (a test's, or a node with no data directory). */
  private constructor(private readonly file?: string) {}

  /** One key, in memory: what a node started with ALMACEN_CLUSTER_KEY and no rotation yet has. */
  static of(secret: string | undefined, file?: string): Keyring {
    const ring = new Keyring(file)
    if (secret) {
      const key = signingKey(secret)
      ring.keys.set(key.id, secret)
      ring.primaryId = key.id
    }
    return ring
  }

  /**
   * A node's keyring: the file in its data directory once a rotation has written it, which then
   * wins over ALMACEN_CLUSTER_KEY (as serf's keyring file wins over -encrypt: a node restarted
   * with its old key in the environment keeps the keys the network rotated to); otherwise the
   * one key it was started with. `note` says when the environment's key is not in the file.
   */
  static async load(
    dataDir: string,
    seed: string | undefined
  ): Promise<{ keyring: Keyring; note?: string }> {
    const file = path.join(dataDir, KEYRING_FILE)
    let text: string
    try {
      text = await readFile(file, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT')
        return { keyring: Keyring.of(seed, file) }
      throw err
    }
    let parsed
    try {
      parsed = keyringFile.parse(JSON.parse(text))
    } catch (err) {
      throw new Error(`${file} is not a keyring this node can read: ${(err as Error).message}`)
    }
    const ring = new Keyring(file)
    for (const secret of parsed.keys) ring.keys.set(signingKey(secret).id, secret)
    if (!ring.keys.has(parsed.primary)) {
      throw new Error(`${file} names primary key ${parsed.primary}, which it does not hold`)
    }
    ring.primaryId = parsed.primary
    const stale = seed !== undefined && !ring.keys.has(signingKey(seed).id)
    const note = stale
      ? `ALMACEN_CLUSTER_KEY is not in ${file}, which wins: the network's keys were rotated since; set it to the new key for tidiness`
      : undefined
    return { keyring: ring, ...(note && { note }) }
  }

  /** The key this node signs with; undefined when it has none (it runs alone). */
  get primary(): SigningKey | undefined {
    const id = this.primaryId
    return id === undefined ? undefined : { id, secret: this.keys.get(id) as string }
  }

  /** An installed key by its id: a signed request or answer is checked with it. */
  secret(id: string): string | undefined {
    return this.keys.get(id)
  }

  list(): KeyEntry[] {
    return [...this.keys.keys()].map((id) => ({ id, primary: id === this.primaryId }))
  }

  /** Installs a key (accepted from now on, not yet signing); installing it again changes nothing. */
  install(secret: string): Promise<KeyEntry[]> {
    return this.step(() => {
      if (secret.length < MIN_KEY_LENGTH) {
        throw new ProtocolError(
          'BAD_REQUEST',
          `A cluster key must be at least ${MIN_KEY_LENGTH} characters`
        )
      }
      const { id } = signingKey(secret)
      if (this.keys.has(id)) return false
      if (this.keys.size >= MAX_KEYS) {
        throw new ProtocolError(
          'KEY_IN_USE',
          `This node holds ${MAX_KEYS} keys already: remove one that is no longer used first`
        )
      }
      this.keys.set(id, secret)
      this.primaryId ??= id
      return true
    })
  }

  /** Makes an installed key the one this node signs with. */
  use(id: string): Promise<KeyEntry[]> {
    return this.step(() => {
      if (!this.keys.has(id)) {
        throw new ProtocolError('KEY_UNKNOWN', `Key ${id} is not installed on this node`)
      }
      if (this.primaryId === id) return false
      this.primaryId = id
      return true
    })
  }

  /** Removes a key that no longer signs here; removing one that is not installed changes nothing. */
  remove(id: string): Promise<KeyEntry[]> {
    return this.step(() => {
      if (this.primaryId === id) {
        throw new ProtocolError(
          'KEY_IN_USE',
          `Key ${id} is the one this node signs with: make another primary first`
        )
      }
      return this.keys.delete(id)
    })
  }

  /** `secret` encrypted for the members (AES-256-GCM under this node's primary key). */
  seal(secret: string): SealedKey {
    const key = this.primary
    if (!key) throw new ProtocolError('UNAUTHENTICATED', 'This node has no cluster key')
    const iv = randomBytes(12)
    const cipher = createCipheriv('aes-256-gcm', sealingKey(key), iv)
    cipher.setAAD(Buffer.from(key.id))
    const data = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()])
    return {
      with: key.id,
      iv: iv.toString('base64'),
      data: data.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
    }
  }

  /** The key a member sealed, opened with the installed key it names. */
  open(sealed: SealedKey): string {
    const secret = this.keys.get(sealed.with)
    if (!secret) {
      throw new ProtocolError(
        'KEY_UNKNOWN',
        `The key was sealed with key ${sealed.with}, not installed here`
      )
    }
    try {
      const decipher = createDecipheriv(
        'aes-256-gcm',
        sealingKey({ id: sealed.with, secret }),
        Buffer.from(sealed.iv, 'base64')
      )
      decipher.setAAD(Buffer.from(sealed.with))
      decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'))
      const data = Buffer.from(sealed.data, 'base64')
      return Buffer.concat([decipher.update(data), decipher.final()]).toString('utf8')
    } catch {
      throw new ProtocolError(
        'BAD_REQUEST',
        'The sealed key does not open: it was altered on the way'
      )
    }
  }

  /** Runs one change after the previous, writes the file when it changed anything, then answers. */
  private step(change: () => boolean): Promise<KeyEntry[]> {
    const next = this.chain.then(async () => {
      const before = { keys: new Map(this.keys), primary: this.primaryId }
      if (change() && this.file) {
        const primary = this.primaryId as string
        const text = JSON.stringify({ primary, keys: [...this.keys.values()] }, null, 2)
        try {
          await writePrivately(this.file, `${text}\n`)
        } catch (err) {
          // Not written, not done: what this node holds stays what its file says.
          this.keys.clear()
          for (const [id, secret] of before.keys) this.keys.set(id, secret)
          this.primaryId = before.primary
          throw err
        }
      }
      return this.list()
    })
    this.chain = next.catch(() => undefined)
    return next
  }
}
