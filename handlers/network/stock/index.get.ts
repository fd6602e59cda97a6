import { networkStockQuery, type NetworkStockAll } from '../../../api/index.ts'
import { defineHandler } from '../../../runtime/index.ts'
import { gatherStock } from '../../_shared/network-stock.ts'

/**
 * Every SKU across every warehouse (`low=true`: the figures at or below their warehouse's
 * reorder point), asked at once under `deadlineMs`, each figure labelled with its source.
 */
export default defineHandler(
  {
    access: 'viewer',
    summary: 'Every SKU across every warehouse, each figure labelled with its source',
    query: networkStockQuery,
    example: { query: { low: 'true', deadlineMs: '2000' } },
  },
  async (_request, ctx, { query: { low, deadlineMs } }): Promise<NetworkStockAll> => {
    const lowOnly = low === 'true'
    const ask = lowOnly ? ({ all: true, low: true } as const) : ({ all: true } as const)
    const { answer, stock } = await gatherStock(ctx, ask, deadlineMs)
    return { low: lowOnly, stock, ...answer }
  }
)
