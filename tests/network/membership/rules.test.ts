import t from 'tap'
import type { Member } from '../../../db/contract/index.ts'
import {
  judge,
  judgeProbe,
  MAX_RELAYED_JUMP,
  newer,
  nextIncarnation,
  supersedes,
  suspicionExpired,
  type Judge,
  type MemberUpdate,
} from '../../../network/membership/rules.ts'

const self = 'self-id'
const peer: MemberUpdate = {
  id: 'peer',
  name: 'B',
  address: 'http://b',
  state: 'alive',
  incarnation: 3,
}
const row = (u: MemberUpdate): Member => ({ ...u, stateChangedAt: '', evidenceAt: null })

function context(
  over: Partial<Judge> = {},
  rows: MemberUpdate[] = [peer],
  heard: Record<string, number> = {}
): Judge {
  return {
    selfId: self,
    selfIncarnation: 5,
    leaving: false,
    current: (id) => rows.map(row).find((r) => r.id === id),
    heardAgoMs: (id) => heard[id],
    ...over,
  }
}

t.test(
  'a higher incarnation always wins; at the same one, alive < suspect < failed < left',
  async (t) => {
    const at = (state: Member['state'], incarnation: number) => ({ state, incarnation })
    t.ok(supersedes(at('alive', 4), at('failed', 3)), 'a refutation beats an older failure')
    t.ok(supersedes(at('suspect', 3), at('alive', 3)))
    t.ok(supersedes(at('failed', 3), at('suspect', 3)))
    t.ok(
      supersedes(at('left', 3), at('failed', 3)),
      'left beats failed: a leave is never reported as a failure'
    )
    t.notOk(
      supersedes(at('alive', 3), at('suspect', 3)),
      'only the member itself refutes, with a new incarnation'
    )
    t.notOk(supersedes(at('failed', 3), at('left', 3)))
    t.notOk(supersedes(at('failed', 2), at('alive', 3)), 'old news is ignored')
    t.notOk(supersedes(at('alive', 3), at('alive', 3)))
    t.ok(supersedes(at('alive', 0), undefined), 'a new member is news')
  }
)

const TOP = 2 ** 32 - 1

t.test('incarnations are serial numbers: after 2^32 - 1 comes 0, and 0 is newer', async (t) => {
  t.equal(nextIncarnation(TOP), 0)
  t.equal(nextIncarnation(41), 42)
  t.ok(newer(0, TOP), '0 follows 2^32 - 1')
  t.notOk(newer(TOP, 0))
  t.ok(newer(5, 3))
  t.notOk(newer(3, 5))
  t.notOk(newer(7, 7))
  t.ok(newer(2 ** 31 - 1, 0), 'up to half the space ahead is newer')
  t.notOk(newer(2 ** 31, 0), 'exactly half way is neither newer nor older')
  t.notOk(newer(0, 2 ** 31))
  t.ok(newer(3, 2 ** 31 + 4), 'counting round the end')
  const at = (state: Member['state'], incarnation: number) => ({ state, incarnation })
  t.ok(supersedes(at('alive', 0), at('left', TOP)), 'a refutation after the top is news')
  t.notOk(supersedes(at('left', TOP), at('alive', 1)), 'the top is old news to an incarnation of 1')
})

t.test(
  'a third party cannot move a known member far; the member itself can, and a stranger is news',
  async (t) => {
    const jump = {
      ...peer,
      state: 'left' as const,
      incarnation: peer.incarnation + MAX_RELAYED_JUMP + 1,
    }
    t.match(judge(jump, context({ from: 'someone-else' })), { kind: 'bogus', reason: /peer/ })
    t.match(judge(jump, context()), { kind: 'bogus' }, 'news with no signer is a third party’s')
    t.same(judge(jump, context({ from: 'peer' })), { kind: 'accept', member: jump }, 'its own word')
    const step = { ...jump, incarnation: peer.incarnation + MAX_RELAYED_JUMP }
    t.same(judge(step, context({ from: 'someone-else' })), { kind: 'accept', member: step })
    const stranger = { ...jump, id: 'stranger', incarnation: TOP }
    t.same(judge(stranger, context()), { kind: 'accept', member: stranger })
    const top = { ...peer, incarnation: TOP - 1 }
    const wrapped = { ...peer, state: 'suspect' as const, incarnation: 3 }
    t.same(
      judge(wrapped, context({ from: 'someone-else' }, [top])),
      { kind: 'accept', member: wrapped },
      'a short step round the end is a short step'
    )
  }
)

t.test(
  'this node refutes anything at or above its incarnation, however high, round the end if need be',
  async (t) => {
    const me = { ...peer, id: self }
    t.same(judge({ ...me, state: 'left', incarnation: TOP }, context({ selfIncarnation: TOP })), {
      kind: 'refute',
      incarnation: 0,
    })
    t.same(
      judge({ ...me, state: 'failed', incarnation: 5 + 2 ** 30 }, context({ from: 'x' })),
      { kind: 'refute', incarnation: 6 + 2 ** 30 },
      'no bound on what this node answers about itself'
    )
    t.same(
      judge({ ...me, state: 'left', incarnation: TOP }, context()),
      { kind: 'ignore' },
      'the top is behind an incarnation of 5: nothing to answer'
    )
    t.same(
      judge({ ...me, state: 'failed', incarnation: 5 + 2 ** 31 }, context()),
      { kind: 'refute', incarnation: 6 + 2 ** 31 },
      'a failure exactly half the space away is neither newer nor older: it is answered all the same'
    )
    t.same(judge({ ...me, state: 'alive', incarnation: 5 + 2 ** 31 }, context()), {
      kind: 'ignore',
    })
  }
)

t.test(
  'news about a member is accepted when it supersedes, ignored when it does not',
  async (t) => {
    t.same(judge({ ...peer, state: 'suspect' }, context()), {
      kind: 'accept',
      member: { ...peer, state: 'suspect' },
    })
    t.same(judge({ ...peer, incarnation: 2, state: 'failed' }, context()), { kind: 'ignore' })
    t.same(judge({ ...peer, id: 'newcomer' }, context()), {
      kind: 'accept',
      member: { ...peer, id: 'newcomer' },
    })
  }
)

t.test('an accusation about this node is refuted with a higher incarnation', async (t) => {
  const me = { ...peer, id: self }
  t.same(judge({ ...me, state: 'suspect', incarnation: 5 }, context()), {
    kind: 'refute',
    incarnation: 6,
  })
  t.same(judge({ ...me, state: 'failed', incarnation: 7 }, context()), {
    kind: 'refute',
    incarnation: 8,
  })
  t.same(judge({ ...me, state: 'left', incarnation: 5 }, context()), {
    kind: 'refute',
    incarnation: 6,
  })
  t.same(
    judge({ ...me, state: 'alive', incarnation: 9 }, context()),
    { kind: 'refute', incarnation: 10 },
    'a stranger incarnation is overtaken'
  )
  t.same(
    judge({ ...me, state: 'failed', incarnation: 4 }, context()),
    { kind: 'ignore' },
    'stale news needs no answer'
  )
  t.same(judge({ ...me, state: 'alive', incarnation: 5 }, context()), { kind: 'ignore' })
  t.same(
    judge({ ...me, state: 'left', incarnation: 5 }, context({ leaving: true })),
    { kind: 'ignore' },
    'a leaving node lets its leave stand'
  )
  t.same(
    judge({ ...me, state: 'failed', incarnation: 5 }, context({ leaving: true })),
    { kind: 'ignore' },
    'left already outranks that'
  )
  t.same(
    judge({ ...me, state: 'alive', incarnation: 6 }, context({ leaving: true })),
    { kind: 'refute', incarnation: 7 },
    'a node that is out says so above a stray alive (a join that never reached its ear)'
  )
})

t.test(
  'an accusation older than this node’s own word from the member is checked before it is believed',
  async (t) => {
    const failed = { ...peer, state: 'failed' as const, evidenceAgeMs: 60_000 }
    t.same(
      judge(failed, context({}, [peer], { peer: 200 })),
      { kind: 'verify', id: 'peer' },
      'heard 0.2 s ago, accused on 60 s old silence'
    )
    t.same(
      judge({ ...failed, evidenceAgeMs: 100 }, context({}, [peer], { peer: 2000 })),
      { kind: 'accept', member: { ...failed, evidenceAgeMs: 100 } },
      'a refusal seen after our last word is believed'
    )
    t.same(
      judge(failed, context()),
      { kind: 'accept', member: failed },
      'never heard from it: believed'
    )
    t.same(
      judge({ ...peer, state: 'left' }, context({}, [peer], { peer: 1 })),
      { kind: 'accept', member: { ...peer, state: 'left' } },
      'a leave needs no evidence'
    )
  }
)

t.test(
  'a probe round: an ack anywhere is alive; a refusal nobody contradicts is failed; silence is suspect',
  async (t) => {
    const round = {
      direct: 'timeout' as const,
      indirect: [],
      state: 'alive' as const,
      frozen: false,
    }
    t.equal(judgeProbe({ ...round, direct: 'ack' }), 'alive')
    t.equal(
      judgeProbe({ ...round, indirect: [{ result: 'timeout' }, { result: 'ack' }] }),
      'alive',
      'reachable through a helper'
    )
    t.equal(
      judgeProbe({ ...round, direct: 'refused', indirect: [undefined, { result: 'refused' }] }),
      'failed'
    )
    t.equal(
      judgeProbe({ ...round, direct: 'refused' }),
      'failed',
      'with no helper to ask, a refusal still counts'
    )
    t.equal(
      judgeProbe({ ...round, direct: 'refused', indirect: [{ result: 'ack' }] }),
      'alive',
      'a helper’s ack overrules a refusal'
    )
    t.equal(
      judgeProbe({
        ...round,
        direct: 'refused',
        indirect: [{ result: 'refused', leftAt: { ...peer, state: 'left' } }],
      }),
      'left',
      'a helper knows it left: never failed'
    )
    t.equal(
      judgeProbe({ ...round, direct: 'wrong-node' }),
      'failed',
      'another node answers at its address'
    )
    t.equal(
      judgeProbe({ ...round, direct: 'bogus', indirect: [{ result: 'ack' }] }),
      'failed',
      'something that is not a member answers at its address, whatever helpers say'
    )
    t.equal(
      judgeProbe({ ...round, direct: 'clock-skew' }),
      'alive',
      'a member that refuses only our clock has answered, signed'
    )
    t.equal(judgeProbe({ ...round, indirect: [{ result: 'timeout' }, undefined] }), 'suspect')
    t.equal(
      judgeProbe({ ...round, state: 'suspect' }),
      'no-change',
      'a suspect stays one until its timer runs out'
    )
    t.equal(
      judgeProbe({ ...round, direct: 'refused', frozen: true }),
      'no-change',
      'a frozen prober proves nothing'
    )
  }
)

t.test(
  'a suspicion timer fails its suspect, unless it fired late or the suspect refuted',
  async (t) => {
    t.equal(
      suspicionExpired({ firedLateMs: 3, lateMs: 1000, stillSuspectAtSameIncarnation: true }),
      'fail'
    )
    t.equal(
      suspicionExpired({ firedLateMs: 4000, lateMs: 1000, stillSuspectAtSameIncarnation: true }),
      'rearm',
      'this process was frozen'
    )
    t.equal(
      suspicionExpired({ firedLateMs: 3, lateMs: 1000, stillSuspectAtSameIncarnation: false }),
      'drop',
      'refuted or changed meanwhile'
    )
  }
)
