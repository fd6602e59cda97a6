import type { Knex } from 'knex'

// A federated topic message's outbox id was made from the topic message's seq, a counter of this
// database alone. A node restored from its peers starts that counter again at 1 (topic messages
// are not in the event log), and a database put back from a backup starts it where the backup
// left it; either way the node's next messages took ids its peers had already been sent. Their
// inboxes keep every id for ever and refused each as IDEMPOTENCY_KEY_REUSED, and the lane took
// the refusal as delivered: the messages were lost while the publisher had its 201. The id is now
// 128 random bits, so it is never given twice; the outbox keeps it, so a message sent again
// carries the same one.
const TRIGGER = 'topic_messages_to_federation'
const BY_SEQ = `'federated:topic:' || NEW.seq || ':'`
const RANDOM = `'federated:topic:' || lower(hex(randomblob(16))) || ':'`

/** The trigger made again with `from` in its id replaced by `to` (the rest as it stands). */
async function remake(knex: Knex, from: string, to: string): Promise<void> {
  const [row] = (await knex.raw(
    `SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?`,
    [TRIGGER]
  )) as { sql: string }[]
  if (!row?.sql.includes(from)) throw new Error(`${TRIGGER} does not make its ids as expected`)
  await knex.raw(`DROP TRIGGER ${TRIGGER}`)
  await knex.raw(row.sql.replace(from, to))
}

export async function up(knex: Knex): Promise<void> {
  await knex.transaction((trx) => remake(trx, BY_SEQ, RANDOM))
}

export async function down(knex: Knex): Promise<void> {
  await knex.transaction((trx) => remake(trx, RANDOM, BY_SEQ))
}
