import t from 'tap'
import {
  isMemberAddress,
  memberUpdate,
  pingReqAnswer,
} from '../../../network/membership/messages.ts'

t.test('a member address is an http(s) host and port, and nothing else', async (t) => {
  for (const good of [
    'http://10.0.0.2:8080',
    'https://almacen.madrid.example.com',
    'http://localhost:9301',
    'http://[::1]:8080',
    'http://[fe80::1]:1',
  ]) {
    t.ok(isMemberAddress(good), good)
  }
  for (const bad of [
    'ftp://10.0.0.2:21',
    'http://user:secret@10.0.0.2:8080',
    'http://10.0.0.2:8080/path',
    'http://10.0.0.2:8080/',
    'http://10.0.0.2:8080?q=1',
    'http://10.0.0.2:8080#f',
    'http://10.0.0.2:0',
    'http://10.0.0.2:65536',
    'http://0.0.0.0:8080',
    'http://[::]:8080',
    'http://300.1.1.1:8080',
    'http://1.2.3:8080',
    'http://2130706433:8080',
    'http://-bad-.example.com',
    'http://a b:80',
    'http://',
  ]) {
    t.notOk(isMemberAddress(bad), bad)
  }
})

t.test('an incarnation is an integer below 2^32', async (t) => {
  const member = { id: 'a', name: 'A', address: 'http://10.0.0.2:8080', state: 'alive' }
  t.ok(memberUpdate.safeParse({ ...member, incarnation: 2 ** 32 - 1 }).success)
  for (const incarnation of [2 ** 32, 2 ** 53 - 1, -1, 1.5]) {
    t.notOk(memberUpdate.safeParse({ ...member, incarnation }).success, String(incarnation))
  }
})

t.test(
  'a member’s name and id as a peer sends them: what --name takes, visible ASCII',
  async (t) => {
    const member = { id: 'a', name: 'A', address: 'http://10.0.0.2:8080', state: 'alive' }
    for (const name of ['Madrid', 'Sevilla Norte', 'Almacén 2', 'wh_3.b-1']) {
      t.ok(memberUpdate.safeParse({ ...member, incarnation: 0, name }).success, name)
    }
    // A terminal escape, a right-to-left override and a bell went to every admin's screen.
    for (const name of [
      '\u001b[31mEVIL',
      'EVIL\u202eSEVIL',
      'bell\u0007',
      ' Madrid',
      '',
      'x'.repeat(65),
    ]) {
      t.notOk(
        memberUpdate.safeParse({ ...member, incarnation: 0, name }).success,
        JSON.stringify(name)
      )
    }
    for (const id of ['n\u001b[2J', 'a b', 'é', '', 'x'.repeat(65)]) {
      t.notOk(memberUpdate.safeParse({ ...member, incarnation: 0, id }).success, JSON.stringify(id))
    }
  }
)

t.test(
  'a helper’s answer with a reason this node does not know yet reads as a failure',
  async (t) => {
    t.same(pingReqAnswer.parse({ result: 'a-newer-reason' }), { result: 'error' })
    t.same(pingReqAnswer.parse({ result: 'ack', extra: 1 }), { result: 'ack' })
  }
)
