// What the demo's three warehouses hold: a hardware wholesaler's catalogue (a few dozen SKUs with
// units and reorder points) and, per warehouse, what it stocks and how its stock moved. Quantities
// come from a seeded generator, so every run shows the same figures.

export interface DemoItem {
  sku: string
  name: string
  unit: string
  reorderPoint: number
}

export const CATALOGUE: DemoItem[] = [
  { sku: 'BOLT-M8', name: 'Hex bolt M8x40 zinc', unit: 'ea', reorderPoint: 500 },
  { sku: 'BOLT-M10', name: 'Hex bolt M10x50 zinc', unit: 'ea', reorderPoint: 400 },
  { sku: 'NUT-M8', name: 'Hex nut M8 zinc', unit: 'ea', reorderPoint: 800 },
  { sku: 'NUT-M10', name: 'Hex nut M10 zinc', unit: 'ea', reorderPoint: 600 },
  { sku: 'WASHER-M8', name: 'Flat washer M8', unit: 'box', reorderPoint: 20 },
  { sku: 'SCREW-4X40', name: 'Wood screw 4x40 (box of 200)', unit: 'box', reorderPoint: 30 },
  { sku: 'ANCHOR-8', name: 'Wall anchor 8 mm', unit: 'box', reorderPoint: 15 },
  { sku: 'CABLE-2.5', name: 'Copper cable 2.5 mm²', unit: 'm', reorderPoint: 300 },
  { sku: 'CABLE-1.5', name: 'Copper cable 1.5 mm²', unit: 'm', reorderPoint: 300 },
  { sku: 'CONDUIT-20', name: 'PVC conduit 20 mm', unit: 'm', reorderPoint: 150 },
  { sku: 'PIPE-CU-15', name: 'Copper pipe 15 mm', unit: 'm', reorderPoint: 100 },
  { sku: 'PIPE-PVC-40', name: 'PVC drain pipe 40 mm', unit: 'm', reorderPoint: 80 },
  { sku: 'ELBOW-15', name: 'Copper elbow 15 mm', unit: 'ea', reorderPoint: 120 },
  { sku: 'TAPE-PTFE', name: 'PTFE sealing tape', unit: 'roll', reorderPoint: 60 },
  { sku: 'TAPE-DUCT', name: 'Duct tape 50 mm', unit: 'roll', reorderPoint: 40 },
  { sku: 'GLUE-PVC', name: 'PVC cement 250 ml', unit: 'ea', reorderPoint: 25 },
  { sku: 'PAINT-WHITE', name: 'Interior paint, white', unit: 'l', reorderPoint: 100 },
  { sku: 'PAINT-PRIMER', name: 'Metal primer, grey', unit: 'l', reorderPoint: 40 },
  { sku: 'BRUSH-50', name: 'Paint brush 50 mm', unit: 'ea', reorderPoint: 30 },
  { sku: 'GLOVES-L', name: 'Work gloves, large', unit: 'pair', reorderPoint: 50 },
  { sku: 'GLOVES-M', name: 'Work gloves, medium', unit: 'pair', reorderPoint: 50 },
  { sku: 'HELMET', name: 'Safety helmet', unit: 'ea', reorderPoint: 10 },
  { sku: 'GOGGLES', name: 'Safety goggles', unit: 'ea', reorderPoint: 15 },
  { sku: 'CEMENT-25', name: 'Portland cement 25 kg', unit: 'bag', reorderPoint: 40 },
  { sku: 'SAND-FINE', name: 'Fine sand', unit: 'kg', reorderPoint: 500 },
  { sku: 'PALLET-EUR', name: 'Euro pallet', unit: 'ea', reorderPoint: 20 },
  { sku: 'DRILL-BIT-8', name: 'Masonry drill bit 8 mm', unit: 'ea', reorderPoint: 25 },
  { sku: 'BLADE-125', name: 'Cutting disc 125 mm', unit: 'ea', reorderPoint: 40 },
  { sku: 'LAMP-LED-9W', name: 'LED bulb E27 9 W', unit: 'ea', reorderPoint: 60 },
  { sku: 'SWITCH-1G', name: 'Light switch, one gang', unit: 'ea', reorderPoint: 30 },
]

export interface DemoWarehouse {
  name: string
  /** Items it counts in another unit than the others do (and how many of theirs make one). */
  units?: Record<string, { unit: string; of: number }>
}

export const WAREHOUSES: DemoWarehouse[] = [
  { name: 'Madrid' },
  { name: 'Sevilla' },
  // Bilbao buys cable by the 50 m roll: network answers total it apart, never added to metres.
  { name: 'Bilbao', units: { 'CABLE-2.5': { unit: 'roll', of: 50 } } },
]

/** A small seeded generator (mulberry32): the same figures on every run. */
export function seeded(seed: number): () => number {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let x = Math.imul(a ^ (a >>> 15), 1 | a)
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}

export type DemoMovement =
  | { type: 'receipt'; sku: string; quantity: number; reference: string }
  | { type: 'issue'; sku: string; quantity: number; reference: string }
  | { type: 'adjustment'; sku: string; countedQuantity: number; note: string }

/**
 * One warehouse's items and movements: it stocks most of the catalogue (each warehouse skips a
 * different few); receipts of a few times the reorder point, issues that leave some items low,
 * and a stock count that finds a difference.
 */
export function plan(index: number, warehouse: DemoWarehouse) {
  const random = seeded(index + 11)
  // Each warehouse leaves out a different few items (BOLT-M8 is everywhere).
  const items = CATALOGUE.filter((_, i) => i === 0 || (i + index) % 7 !== 0).map((item) => {
    const other = warehouse.units?.[item.sku]
    if (!other) return item
    return { ...item, unit: other.unit, reorderPoint: Math.ceil(item.reorderPoint / other.of) }
  })
  const movements: DemoMovement[] = []
  items.forEach((item, i) => {
    const received = Math.max(1, Math.round(item.reorderPoint * (1 + 3 * random())))
    movements.push({
      type: 'receipt',
      sku: item.sku,
      quantity: received,
      reference: `PO-${100 + i}`,
    })
    // About a third of the items are drawn down to or below their reorder point.
    const share = random() < 0.33 ? 0.8 + 0.19 * random() : 0.5 * random()
    const issued = Math.floor(received * share)
    if (issued > 0) {
      movements.push({ type: 'issue', sku: item.sku, quantity: issued, reference: `SO-${500 + i}` })
    }
    if (i % 9 === 4) {
      const counted = Math.max(0, received - issued - 1 - Math.floor(3 * random()))
      movements.push({
        type: 'adjustment',
        sku: item.sku,
        countedQuantity: counted,
        note: 'cycle count',
      })
    }
  })
  return { items, movements }
}
