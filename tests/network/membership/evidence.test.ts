import { pino } from 'pino'
import t from 'tap'
import { Evidence } from '../../../network/membership/evidence.ts'
import type { MemberView } from '../../../network/membership/view.ts'

t.test(
  "a request with a key this node lacks, in a member's name, is said at error level, once a while in all",
  async (t) => {
    const lines: { level: number; msg: string; keyId?: string; more?: number }[] = []
    const log = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) })
    const members = new Map([['node-a', { id: 'node-a', name: 'Madrid' }]])
    const view = { get: (id: string) => members.get(id) } as unknown as MemberView
    const evidence = new Evidence({ view, log, listening: () => true, checkSoon: () => undefined })
    const held = ['1111111111111111']
    evidence.unknownKey('stranger', 'fedcba9876543210', held) // no member of that id: nothing
    evidence.unknownKey('node-a', '0123456789abcdef', held)
    // Again, and with other made-up ids: not said again (a stranger may send any id).
    evidence.unknownKey('node-a', '0123456789abcdef', held)
    evidence.unknownKey('node-a', 'aaaaaaaaaaaaaaaa', held)
    t.match(lines, [
      {
        level: 50,
        keyId: '0123456789abcdef',
        msg: /^a request that says it comes from Madrid names cluster key 0123456789abcdef, which this node does not hold \(it holds 1111111111111111\): this node or Madrid missed a key rotation\. Compare GET \/keys on both/,
      },
    ])
    t.equal(lines.length, 1, 'once a while, whatever the key ids')
  }
)
