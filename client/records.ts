// The node's records as the client reads them. In the API the reorder point may be null (no
// reorder point: never low); db/contract/ says number until the node's side of that change
// lands, after which these become the contract's own types again.
import type * as Contract from '../db/contract/index.ts'

type Nullable<T> = Omit<T, 'reorderPoint'> & { reorderPoint: number | null }

export type Item = Nullable<Contract.Item>
export type Stock = Nullable<Contract.Stock>
export type ItemPatch = Omit<Contract.ItemPatch, 'reorderPoint'> & { reorderPoint?: number | null }
