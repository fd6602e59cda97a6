import t from 'tap'
import { newToken, TokenHolders } from '../../runtime/tokens.ts'

const holder = { user: 'ana', role: 'operator' as const, tokenId: 'tok_1', name: 'scanner' }

t.test('a text no token of ours looks like is nobody, without asking the worker', async (t) => {
  const asked: string[] = []
  const holders = new TokenHolders(async (hash) => (asked.push(hash), null))
  // A stranger's guesses on every request: none of them costs a read.
  for (const guess of [
    'x',
    'almacen_short',
    `almacen_${'A'.repeat(44)}`,
    'Bearer',
    '*'.repeat(200),
  ]) {
    t.equal(await holders.lookup(guess), null, guess.slice(0, 20))
  }
  t.same(asked, [])
})

t.test('a token this node made is asked for by its hash, and remembered', async (t) => {
  const made = newToken()
  const asked: string[] = []
  const holders = new TokenHolders(async (hash) => (asked.push(hash), holder as never))
  t.same(await holders.lookup(made.token), holder)
  t.same(asked, [made.hash])
  t.same(holders.remembering(made.token), holder)
})
