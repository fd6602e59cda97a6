// The worker, idle for a while, gives back what SQLite keeps for speed (its compiled statements,
// its page cache), and serves as before once asked again.
import { Writable } from 'node:stream'
import { pino } from 'pino'
import t from 'tap'
import { servedWorker } from '../fixtures/served-worker.ts'

t.test('an idle worker gives its compiled statements back, then compiles them again', async (t) => {
  const rested: number[] = []
  let heard = () => {}
  const lines = new Writable({
    write(chunk, _encoding, done) {
      const line = JSON.parse(String(chunk)) as { msg: string; statements?: number }
      if (line.msg.startsWith('idle:')) {
        rested.push(line.statements ?? -1)
        heard()
      }
      done()
    },
  })
  const log = pino({ level: 'debug' }, lines)
  const { db } = await servedWorker(t, { restAfterMs: 20 }, { log })
  /** Resolves once more than `seen` rests are logged (at once if they already are). */
  const restsBeyond = (seen: number) =>
    new Promise<void>((resolve) => {
      heard = () => rested.length > seen && resolve()
      heard()
    })

  await db.call('items.create', { sku: 'ROPE', name: 'Rope', unit: 'm' })
  await db.call('movements.record', { type: 'receipt', sku: 'ROPE', quantity: 7 })
  await restsBeyond(0)
  t.ok(rested[0] > 0, `gave back ${rested[0]} compiled statements`)

  const seen = rested.length
  const { data } = await db.call('movements.record', { type: 'issue', sku: 'ROPE', quantity: 2 })
  t.match(data, { seq: 2, balanceAfter: 5 }, 'served as before, its statements compiled again')
  t.match((await db.call('stock.get', { sku: 'ROPE' })).data, { onHand: 5 })
  await restsBeyond(seen)
  t.ok((rested.at(-1) as number) > 0, 'rests again after the next spell of work')
})
