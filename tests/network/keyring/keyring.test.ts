// One node's cluster keys: what signs and what is accepted at each step of a rotation, the file
// that keeps them (only when a rotation wrote it, then winning over the environment's key), and
// a key sealed for the wire.
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { Keyring, KEYRING_FILE, MAX_KEYS, signingKey } from '../../../network/keyring/keyring.ts'
import { tempDir } from '../../fixtures/temp-dir.ts'

const OLD = 'the-old-cluster-key-0000'
const NEW = 'the-new-cluster-key-1111'
const [oldId, newId] = [signingKey(OLD).id, signingKey(NEW).id]

t.test('a rotation step by step: what signs, what is accepted, what is refused', async (t) => {
  const ring = Keyring.of(OLD)
  t.same(ring.primary, { id: oldId, secret: OLD })
  t.same(await ring.install(NEW), [
    { id: oldId, primary: true },
    { id: newId, primary: false },
  ])
  t.equal(ring.secret(newId), NEW, 'installed: accepted')
  t.equal(ring.primary?.id, oldId, 'not yet signing')
  t.same(await ring.install(NEW), ring.list(), 'installing it again changes nothing')
  await t.rejects(ring.remove(oldId), { code: 'KEY_IN_USE', message: /signs with/ })
  await ring.use(newId)
  t.equal(ring.primary?.id, newId)
  await ring.remove(oldId)
  t.same(ring.list(), [{ id: newId, primary: true }])
  t.equal(ring.secret(oldId), undefined, 'removed: refused from now on')
  t.same(await ring.remove(oldId), ring.list(), 'removing it again changes nothing')
  await t.rejects(ring.use(oldId), { code: 'KEY_UNKNOWN', message: new RegExp(oldId) })
  await t.rejects(ring.install('short'), { code: 'BAD_REQUEST', message: /at least 16/ })
  for (let i = 1; i < MAX_KEYS; i++) await ring.install(`spare-cluster-key-number-${i}`)
  await t.rejects(ring.install('one-key-too-many-0000'), {
    code: 'KEY_IN_USE',
    message: new RegExp(`holds ${MAX_KEYS} keys already`),
  })
})

t.test(
  'the file: written by a rotation only, private, and winning at the next start',
  async (t) => {
    const dir = tempDir(t)
    const file = path.join(dir, KEYRING_FILE)
    const first = await Keyring.load(dir, OLD)
    t.equal(first.keyring.primary?.id, oldId)
    t.notOk(existsSync(file), 'a node that never rotated keeps its key in the environment only')
    await first.keyring.install(NEW)
    t.equal(statSync(file).mode & 0o777, 0o600, 'readable by the node user only')
    await first.keyring.use(newId)
    await first.keyring.remove(oldId)

    // Started again with the old key still in its environment: the file wins, and the log says so.
    const again = await Keyring.load(dir, OLD)
    t.same(again.keyring.list(), [{ id: newId, primary: true }])
    t.match(again.note, /ALMACEN_CLUSTER_KEY is not in .*keyring.json, which wins/)
    t.equal((await Keyring.load(dir, NEW)).note, undefined, 'no note when they agree')

    writeFileSync(file, '{"primary":"0123456789abcdef","keys":["not-the-primary-key-000"]}')
    await t.rejects(Keyring.load(dir, OLD), { message: /names primary key 0123456789abcdef/ })
    writeFileSync(file, 'not json')
    await t.rejects(Keyring.load(dir, OLD), { message: /is not a keyring this node can read/ })
  }
)

t.test('a step whose file cannot be written is not taken', async (t) => {
  const ring = Keyring.of(OLD, path.join(tempDir(t), 'no-such-dir', KEYRING_FILE))
  await t.rejects(ring.install(NEW), { code: 'ENOENT' })
  t.same(ring.list(), [{ id: oldId, primary: true }], 'the new key is not held')
})

t.test('a key sealed for the wire opens only with the key it was sealed under', async (t) => {
  const sender = Keyring.of(OLD)
  const sealed = sender.seal(NEW)
  t.equal(sealed.with, oldId)
  t.notMatch(JSON.stringify(sealed), NEW, 'the key does not travel in the clear')
  t.equal(Keyring.of(OLD).open(sealed), NEW)
  t.throws(() => Keyring.of(NEW).open(sealed), { code: 'KEY_UNKNOWN' })
  const data = Buffer.from(sealed.data, 'base64')
  data[0] ^= 1
  t.throws(() => Keyring.of(OLD).open({ ...sealed, data: data.toString('base64') }), {
    code: 'BAD_REQUEST',
    message: /altered/,
  })
  t.throws(() => Keyring.of(undefined).seal(NEW), { code: 'UNAUTHENTICATED' })
})

t.test('the file holds the keys themselves: only what a rotation put there', async (t) => {
  const dir = tempDir(t)
  const { keyring } = await Keyring.load(dir, OLD)
  await keyring.install(NEW)
  const held = JSON.parse(readFileSync(path.join(dir, KEYRING_FILE), 'utf8'))
  t.same(held, { primary: oldId, keys: [OLD, NEW] })
})
