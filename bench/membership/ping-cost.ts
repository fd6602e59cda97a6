// CPU per received ping on one node (server side), and per sent ping (this client)
import { readFileSync } from 'node:fs'
import { PeerClient } from '../../runtime/membership/peer-client.ts'
const url = process.argv[2]
const key = 'test-cluster-key-0123456789'
const pid = Number(process.argv[3])
const ticks = (p: number) => { const f = readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1].split(' '); return Number(f[11]) + Number(f[12]) }
const members = await (await fetch(url + '/members')).json() as any
const self = members.members.find((m: any) => m.self)
const me = { id: 'pinger', name: 'P', address: 'http://127.0.0.1:1', state: 'alive', incarnation: 0 }
const client = new PeerClient(key, me.id)
const N = 1000
const t0 = ticks(pid), c0 = process.cpuUsage(), s = performance.now()
for (let i = 0; i < N; i++) {
  const r = await client.post(url, '/peer/ping', { from: me, target: { id: self.id, state: 'alive', incarnation: self.incarnation }, updates: [] }, 1000)
  if (!r.ok) throw new Error(JSON.stringify(r))
}
const c1 = process.cpuUsage(c0)
console.log(`server ${((ticks(pid) - t0) * 10000 / N).toFixed(0)} µs/ping, client ${((c1.user + c1.system) / N).toFixed(0)} µs/ping, wall ${((performance.now() - s) / N).toFixed(2)} ms`)
client.close()
