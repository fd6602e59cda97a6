import { networkItemsQuery, type NetworkItemPage } from '../../api/index.ts'
import { defineHandler } from '../../runtime/index.ts'

/**
 * The company-wide catalogue: every SKU known here, from this node's own catalogue and from the
 * definitions its replicas hold of each peer's (read-only), with the warehouses that define it;
 * SKUs defined with different units are flagged. Answered from this node alone, so it works with
 * every link down (each peer as of its replica).
 */
export default defineHandler(
  {
    access: 'viewer',
    summary: 'The company-wide catalogue, from this node and its replicas',
    query: networkItemsQuery,
    example: { query: { search: 'bolt', unitsDiffer: 'true' } },
  },
  async (
    _request,
    ctx,
    { query: { search, unitsDiffer, limit, cursor } }
  ): Promise<NetworkItemPage> => {
    return ctx.db.send('items.network', {
      search: search || undefined,
      unitsDiffer: unitsDiffer === 'true',
      limit,
      cursor,
    })
  }
)
