import t from 'tap'
import type { Movement } from '../../../db/contract/index.ts'
import { GENESIS_HASH, hashMovement } from '../../../db/ledger/hash.ts'

const row: Omit<Movement, 'hash'> = {
  seq: 7,
  type: 'issue',
  sku: 'BOLT-M8',
  quantity: 3,
  delta: -3,
  countedQuantity: null,
  balanceAfter: 12,
  reference: 'SO-88',
  note: 'line 2',
  createdAt: '2026-11-22T10:00:00.000Z',
  prevHash: 'a'.repeat(64),
}

t.test('the genesis hash is 64 zeros', async (t) => {
  t.equal(GENESIS_HASH, '0'.repeat(64))
})

t.test('a row hashes to the same hex SHA-256 every time', async (t) => {
  t.equal(
    hashMovement(row),
    'cae3dcd4c241fcab205a3d8ac866602b667e979859bc0e1d429949d0ef5bcf3a',
    'the hash every ledger already on disk was written with'
  )
  t.equal(hashMovement({ ...row }), hashMovement(row))
  const reordered = Object.fromEntries(Object.entries(row).reverse()) as typeof row
  t.equal(hashMovement(reordered), hashMovement(row), 'field order in the object does not matter')
})

t.test('changing any field that carries meaning changes the hash', async (t) => {
  const changes: Partial<typeof row>[] = [
    { seq: 8 },
    { type: 'adjustment' },
    { sku: 'BOLT-M9' },
    { quantity: 4 },
    { delta: -4 },
    { countedQuantity: 12 },
    { balanceAfter: 11 },
    { reference: 'SO-89' },
    { note: 'line 3' },
    { createdAt: '2026-11-22T10:00:00.001Z' },
    { prevHash: 'b'.repeat(64) },
  ]
  const original = hashMovement(row)
  for (const change of changes) {
    t.not(hashMovement({ ...row, ...change }), original, Object.keys(change)[0])
  }
})

t.test('fields cannot be shifted into each other to forge a hash', async (t) => {
  t.not(
    hashMovement({ ...row, reference: 'SO-88 line 2', note: '' }),
    hashMovement({ ...row, reference: 'SO-88', note: ' line 2' })
  )
  t.not(hashMovement({ ...row, countedQuantity: 0 }), hashMovement(row), 'null is not zero')
})
