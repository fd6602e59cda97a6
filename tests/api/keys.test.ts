// POST /keys' body: a key every member can take, sealed, or refused here naming why.
import t from 'tap'
import { keyInput } from '../../api/keys.ts'
import { sealedKey } from '../../network/keyring/keyring.ts'

const problems = (body: unknown) => {
  const parsed = keyInput.safeParse(body)
  return parsed.success ? [] : parsed.error.issues.map((i) => i.message)
}

t.test('a key of 512 characters is taken when it fits what a member takes sealed', async (t) => {
  t.same(problems({ key: 'k'.repeat(512) }), [])
  t.same(problems({ key: 'ñ'.repeat(256) }), [], '256 two-byte characters: 512 bytes')
})

t.test('a key of many-byte characters too long to send sealed is refused here', async (t) => {
  const key = '€'.repeat(512) // 512 characters, 1,536 bytes
  t.same(problems({ key }), ['must be at most 512 bytes in UTF-8'])
  // What every member would have refused: its sealed copy (as long as the key, in base64).
  const data = Buffer.from(key).toString('base64')
  const sealed = { with: '0123456789abcdef', iv: 'AAAA', data, tag: 'AAAA' }
  t.notOk(sealedKey.safeParse(sealed).success)
  const fits = Buffer.from('k'.repeat(512)).toString('base64')
  t.ok(sealedKey.safeParse({ ...sealed, data: fits }).success, 'a 512-byte key, sealed, is taken')
})
