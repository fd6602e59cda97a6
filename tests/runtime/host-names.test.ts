import { hostname, networkInterfaces } from 'node:os'
import t from 'tap'
import { HostNames, hostOfHeader } from '../../runtime/host-names.ts'

t.test('reads the name out of a Host header', async (t) => {
  t.equal(hostOfHeader('127.0.0.1:8080'), '127.0.0.1')
  t.equal(hostOfHeader('[::1]:8080'), '::1')
  t.equal(hostOfHeader('[::1]'), '::1')
  t.equal(hostOfHeader('Almacen.Example.COM.:80'), 'almacen.example.com')
  t.equal(hostOfHeader('localhost'), 'localhost')
})

t.test('a node bound to one address answers to loopback, its names and no other', async (t) => {
  const names = new HostNames({
    bound: '10.9.8.7',
    advertise: 'http://madrid.corp:8080',
    allowed: ['almacen.example.com'],
  })
  for (const name of [
    'localhost',
    '127.0.0.1',
    '::1',
    '10.9.8.7',
    'madrid.corp',
    'almacen.example.com',
    hostname().toLowerCase(),
  ]) {
    t.ok(names.allows(name), name)
  }
  t.notOk(names.allows('evil.example'))
  const lan = Object.values(networkInterfaces())
    .flat()
    .find((i) => i && !i.internal)
  if (lan) t.notOk(names.allows(lan.address), 'an interface it is not bound to')
})

t.test('a node bound to every interface answers to each of their addresses', async (t) => {
  const names = new HostNames({ bound: '0.0.0.0', advertise: 'http://10.1.0.5:8080' })
  for (const i of Object.values(networkInterfaces()).flat()) {
    if (i) t.ok(names.allows(i.address.toLowerCase()), i.address)
  }
  t.ok(names.allows('10.1.0.5'), 'and the advertised host')
  t.notOk(names.allows('0.0.0.0'), 'not the wildcard itself')
})
