import { pino } from 'pino'
import t from 'tap'
import { Evidence } from '../../../network/membership/evidence.ts'
import type { MemberView } from '../../../network/membership/view.ts'

t.test(
  "a request with a key this node lacks, in a member's name, is said at error level once a key",
  async (t) => {
    const lines: { level: number; msg: string; keyId?: string }[] = []
    const log = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) })
    const members = new Map([['node-a', { id: 'node-a', name: 'Madrid' }]])
    const view = { get: (id: string) => members.get(id) } as unknown as MemberView
    const evidence = new Evidence({ view, log, listening: () => true, checkSoon: () => undefined })
    evidence.unknownKey('node-a', '0123456789abcdef')
    evidence.unknownKey('node-a', '0123456789abcdef')
    evidence.unknownKey('stranger', 'fedcba9876543210') // no member of that id: nothing said
    t.match(lines, [
      {
        level: 50,
        keyId: '0123456789abcdef',
        msg: /^a request in Madrid's name is signed with cluster key 0123456789abcdef, which this node does not hold: .*install the current key here/,
      },
    ])
    t.equal(lines.length, 1, 'once a key')
  }
)
