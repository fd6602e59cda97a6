import t from 'tap'
import { clientAddress } from '../../../runtime/stages/client-address.ts'

const proxies = new Set(['10.0.0.1', '10.0.0.2'])

t.test("the connection's address, unless it is a trusted proxy", async (t) => {
  t.equal(
    clientAddress('192.168.1.9', '6.6.6.6', proxies),
    '192.168.1.9',
    'a stranger: XFF ignored'
  )
  t.equal(clientAddress('::ffff:192.168.1.9', null, proxies), '192.168.1.9')
  t.equal(clientAddress('10.0.0.1', '192.168.1.9', proxies), '192.168.1.9', 'through the proxy')
  t.equal(
    clientAddress('10.0.0.1', '6.6.6.6, 192.168.1.9, 10.0.0.2', proxies),
    '192.168.1.9',
    "the last address no trusted proxy wrote: what comes before it is the client's own claim"
  )
  t.equal(clientAddress('10.0.0.1', null, proxies), '10.0.0.1', 'a proxy with no header')
  t.equal(clientAddress(undefined, '1.2.3.4', proxies), undefined)
})
