import { networkStockQuery, type NetworkStockAll } from '../../../api/index.ts'
import { defineHandler } from '../../../runtime/index.ts'
import { gatherStock } from '../../_shared/network-stock.ts'

/**
 * Every SKU across every warehouse, asked at once under `deadlineMs`, each figure labelled with
 * its source. `low=true`: the SKUs low at one warehouse at least (at or below its reorder point),
 * each with every warehouse's figure, so that the totals are the company's: asked for the low
 * figures alone, a SKU's totals left out the warehouses where it was not low, and what one of
 * them sent was counted as received and never sent (in transit below zero).
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
    const { answer, stock } = await gatherStock(ctx, { all: true }, deadlineMs)
    const shown = lowOnly ? stock.filter((sku) => sku.figures.some((f) => f.low)) : stock
    return { low: lowOnly, stock: shown, ...answer }
  }
)
