// The replicas as witnesses of this node's ledger, with the peers faked: a copy that is a prefix
// agrees; one whose rows differ is found out and where the chains part is told; one that holds
// rows this ledger lacks tells it was cut short; a broken copy, a peer down or without a copy is
// no evidence, and "no witness available" is said plainly.
import t from 'tap'
import type { Member } from '../../../db/contract/index.ts'
import { askWitnesses } from '../../../network/replication/witnesses.ts'
import type { ExchangeKind, PeerCall, PeerOutcome } from '../../../network/transport/transport.ts'

const hashOf = (seq: number, fork = Infinity) =>
  (seq >= fork ? 'f' : 'a') + String(seq).padStart(63, '0')

const member = (id: string): Member => ({
  id,
  name: id.toUpperCase(),
  address: `http://${id}`,
  state: 'alive',
  incarnation: 1,
  stateChangedAt: '',
  evidenceAt: null,
})

interface Copy {
  seq: number
  state?: string
  reason?: string
  /** Its rows from this seq on are another history's. */
  fork?: number
}

function transport(copies: Record<string, Copy | 'down' | 'none'>) {
  const exchanges: string[] = []
  return {
    exchanges,
    transport: {
      canTalk: true,
      watch: () => () => undefined,
      async call(call: PeerCall<ExchangeKind>): Promise<PeerOutcome<never>> {
        const id = call.to
        exchanges.push(`${id} ${call.kind.path}`)
        const copy = copies[id]
        if (copy === 'down') return { ok: false, reason: 'refused', message: 'down', at: 0 }
        const ok = (body: unknown) => ({ ok: true, body, rttMs: 1, responder: id }) as never
        if (call.kind.path === '/peer/replica-head') {
          if (copy === 'none') return ok({ name: id, replicas: [] })
          const position = {
            events: copy.seq,
            ledger: { seq: copy.seq, hash: hashOf(copy.seq, copy.fork) },
          }
          const replica = {
            nodeId: 'self',
            name: 'Self',
            state: copy.state ?? 'live',
            reason: copy.state ? (copy.reason ?? 'chain_broken') : null,
            position,
            caughtUpAt: null,
          }
          return ok({ name: id, replicas: [replica] })
        }
        const seqs = (call.body as { seqs: number[] }).seqs
        const held = copy as Copy
        return ok({
          hashes: seqs
            .filter((s) => s <= held.seq)
            .map((seq) => ({ seq, hash: hashOf(seq, held.fork) })),
        })
      },
    },
  }
}

/** This node's ledger: rows 1…seq, another history from `fork` on. */
const own = (seq: number, fork = Infinity) => ({
  head: { seq, hash: hashOf(seq, fork) },
  hashes: async (seqs: number[]) =>
    seqs.filter((s) => s <= seq).map((s) => ({ seq: s, hash: hashOf(s, fork) })),
})

const ask = (copies: Record<string, Copy | 'down' | 'none'>, ledger = own(100_000)) => {
  const net = transport(copies)
  const peers = Object.keys(copies).map(member)
  return {
    net,
    report: askWitnesses({ transport: net.transport, selfId: 'self', peers, own: ledger }),
  }
}

t.test('copies that are prefixes of the ledger agree', async (t) => {
  const { report } = ask({ b: { seq: 100_000 }, c: { seq: 90_000 } })
  t.match(await report, {
    available: true,
    witnesses: [
      { peer: { id: 'b' }, verdict: 'agrees', holds: { seq: 100_000 } },
      { peer: { id: 'c' }, verdict: 'agrees', holds: { seq: 90_000 } },
    ],
    summary: '2 witnesses agree with this ledger',
  })
})

t.test(
  'a ledger re-hashed from a row on: each witness tells where the chains part, in a few exchanges',
  async (t) => {
    const { report, net } = ask({ b: { seq: 100_000 }, c: { seq: 60_000 } }, own(100_000, 54_321))
    const found = await report
    t.match(found, {
      available: true,
      witnesses: [
        { verdict: 'differs', differsFrom: 54_321, message: /part at row 54321/ },
        { verdict: 'differs', differsFrom: 54_321 },
      ],
      summary: /2 of 2 witnesses disagree/,
    })
    const rounds = net.exchanges.filter((e) => e.startsWith('b /peer/replica-hashes')).length
    t.ok(rounds <= 4, `${rounds} exchanges with B to find the row`)
  }
)

t.test('a witness holding rows this ledger lacks tells that it was cut short', async (t) => {
  const { report } = ask({ b: { seq: 120 } }, own(100))
  t.match(await report, {
    witnesses: [{ verdict: 'differs', differsFrom: 101, message: /rows 101…120 are missing here/ }],
  })
})

t.test(
  'rows committed after the head was read, which the witness already holds, are not missing',
  async (t) => {
    // The node read its head at 100, then wrote rows 101…120, and the witness replicated them
    // before answering (a node's first writes after its start, as its start check asks).
    const grown = { ...own(120), head: own(100).head }
    const { report } = ask({ b: { seq: 120 } }, grown)
    t.match(await report, {
      witnesses: [{ verdict: 'agrees', message: /holds rows 1…120 of this ledger, the same/ }],
      summary: '1 witness agrees with this ledger',
    })
    const forked = { ...own(120, 110), head: own(100, 110).head }
    t.match(await ask({ b: { seq: 120 } }, forked).report, {
      witnesses: [{ verdict: 'differs', differsFrom: 110 }],
    })
  }
)

t.test('a witness of a longer ledger cut short and then written on is caught too', async (t) => {
  const { report } = ask({ b: { seq: 120 } }, own(110, 101))
  t.match(await report, { witnesses: [{ verdict: 'differs', differsFrom: 101 }] })
})

t.test('a copy that stopped because this ledger forked from it still witnesses', async (t) => {
  const { report } = ask({ b: { seq: 60, state: 'broken', reason: 'forked' } }, own(55, 51))
  t.match(await report, { available: true, witnesses: [{ verdict: 'differs', differsFrom: 51 }] })
})

t.test('a broken copy, a peer down, a peer with no copy: no evidence, said plainly', async (t) => {
  const { report } = ask(
    { b: { seq: 50, state: 'broken', fork: 3 }, c: 'down', d: 'none' },
    own(100)
  )
  t.match(await report, {
    available: false,
    witnesses: [
      { verdict: 'silent', message: /broken \(chain_broken\): not a witness/ },
      { verdict: 'silent', message: /did not answer/ },
      { verdict: 'silent', message: /holds no row of this ledger/ },
    ],
    summary: /^no witness available: no alive peer holds a replica/,
  })
  const alone = askWitnesses({
    transport: transport({}).transport,
    selfId: 'self',
    peers: [],
    own: own(5),
  })
  t.match(await alone, { available: false, summary: /no witness available: no peer is alive/ })
})
