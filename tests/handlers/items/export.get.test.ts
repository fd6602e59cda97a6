import t from 'tap'
import type { Item } from '../../../db/contract/index.ts'
import handler from '../../../handlers/items/export.get.ts'
import { HttpError } from '../../../runtime/index.ts'
import { fakeCtx, request } from '../../fixtures/handler-kit.ts'

const item = (sku: string): Item => ({
  sku,
  name: sku,
  unit: 'ea',
  description: '',
  reorderPoint: null,
  createdAt: '2026-11-22T10:00:00.000Z',
  updatedAt: '2026-11-22T10:00:00.000Z',
})

t.test(
  'an export whose next page cannot be read is cut off, never ended as if whole',
  async (t) => {
    let pages = 0
    const ctx = fakeCtx({
      'items.list': () => {
        if (++pages === 1) return { items: [item('BOLT-M8')], nextCursor: 'BOLT-M8' }
        throw new HttpError('DB_BUSY', 'The node is overloaded; retry shortly')
      },
    })
    let cutOff = 0
    ctx.cutOff = () => void cutOff++
    const response = (await handler(request('GET', '/items/export?format=csv'), ctx)) as Response
    t.equal(response.status, 200, 'the first page was read before the answer began')
    // Read to its end: a body that failed here once failed the node's process with it.
    const text = await response.text()
    t.match(text, /^sku,.*\r\nBOLT-M8,/, 'what was read is sent')
    t.equal(cutOff, 1, 'the connection is cut off, so the client sees the file broken off')
  }
)
