import type { Knex } from 'knex'

// Since 12-03 a transfer.changed event holds the whole record (its receipts with their lines, why
// goods come back, whether the dispatch arrived: db/transfers/store.ts `logged`), so that a
// restore can rebuild the record from the log. What goes onto the system topics (`transfer.<id>`,
// read by subscriptions and carried to peers by federation, both through this view) stays the
// Transfer as GET /transfers/:id shows it: the rest would grow every event with every receipt and
// take a large transfer's events past the 48 KiB federation carries (it skips larger ones).

const TOPIC = `CASE type
    WHEN 'movement.recorded' THEN 'stock.' || subject
    WHEN 'item.created' THEN 'item.' || subject
    WHEN 'item.updated' THEN 'item.' || subject
    WHEN 'transfer.changed' THEN 'transfer.' || subject
    WHEN 'member.changed' THEN 'member.' || subject
    ELSE 'event.' || type
  END`

async function view(knex: Knex, data: string): Promise<void> {
  await knex.raw('DROP VIEW IF EXISTS event_topics')
  await knex.raw(`CREATE VIEW event_topics AS
    SELECT seq, type, subject, ${data} AS data, created_at, ${TOPIC} AS topic FROM events`)
}

export async function up(knex: Knex): Promise<void> {
  await knex.transaction((trx) =>
    view(
      trx,
      `CASE WHEN type = 'transfer.changed'
        THEN json_remove(data, '$.cause', '$.announced', '$.receipts') ELSE data END`
    )
  )
}

export async function down(knex: Knex): Promise<void> {
  await knex.transaction((trx) => view(trx, 'data'))
}
