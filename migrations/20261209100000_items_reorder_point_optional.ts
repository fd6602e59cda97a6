import type { Knex } from 'knex'

// An item may have no reorder point (NULL): it is never low. Until now the column was NOT NULL
// with a default of 0, so every item created without one got 0, and every empty item showed as
// low; those zeros were the default, not a choice, and become NULL. (The down turns NULL back
// into 0.)
//
// SQLite cannot drop NOT NULL in place: the table is rebuilt (sqlite.org/lang_altertable.html,
// "other kinds of table schema changes"), in one transaction with foreign keys off, since
// movements and balances reference items and dropping the old table would otherwise touch them.
// The foreign key check before the commit proves nothing was left pointing nowhere.
export const config = { transaction: false }

export async function up(knex: Knex): Promise<void> {
  await rebuildItems(knex, (column) => column.nullable(), 'NULLIF(reorder_point, 0)')
}

export async function down(knex: Knex): Promise<void> {
  await rebuildItems(
    knex,
    (column) => column.notNullable().defaultTo(0),
    'coalesce(reorder_point, 0)'
  )
}

async function rebuildItems(
  knex: Knex,
  reorderPoint: (column: Knex.ColumnBuilder) => void,
  reorderPointFrom: string
): Promise<void> {
  // Set outside the transaction: inside one SQLite ignores it. (knex's own enforceForeignCheck
  // option reads the pragma's answer as foreign_keys, which the snake-case mappers rename.)
  await knex.raw('PRAGMA foreign_keys = OFF')
  try {
    await knex.transaction(async (trx) => {
      await trx.schema.createTable('items_rebuilt', (table) => {
        table.text('sku').primary()
        table.text('name').notNullable()
        table.text('unit').notNullable()
        table.text('description').notNullable().defaultTo('')
        reorderPoint(table.integer('reorder_point'))
        table.text('created_at').notNullable()
        table.text('updated_at').notNullable()
        table.check('?? >= 0', ['reorder_point'], 'items_reorder_point_not_negative')
      })
      await trx.raw(`INSERT INTO items_rebuilt
        (sku, name, unit, description, reorder_point, created_at, updated_at)
        SELECT sku, name, unit, description, ${reorderPointFrom}, created_at, updated_at FROM items`)
      await trx.schema.dropTable('items')
      await trx.schema.renameTable('items_rebuilt', 'items')
      await trx.raw('CREATE INDEX items_name ON items (name COLLATE NOCASE)')
      const orphans: unknown[] = await trx.raw('PRAGMA foreign_key_check')
      if (orphans.length > 0) {
        throw new Error(`Rebuilding items would orphan rows: ${JSON.stringify(orphans)}`)
      }
    })
  } finally {
    await knex.raw('PRAGMA foreign_keys = ON')
  }
}
