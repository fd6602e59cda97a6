import { eventsQuery, type EventPage } from '../../api/index.ts'
import { defineHandler } from '../../runtime/index.ts'

/** The node's event log, oldest first, after a seq: page on with `after=<nextAfter>`. */
export default defineHandler(
  {
    access: 'viewer',
    summary: 'The event log, oldest first, after a seq',
    query: eventsQuery,
    example: { query: { after: '0', limit: '100', types: 'movement.recorded,item.updated' } },
  },
  async (_request, ctx, { query }): Promise<EventPage> => {
    const { after, limit, types } = query
    const page = await ctx.db.send('events.list', { after, limit, types })
    return { ...page, nextAfter: page.events.at(-1)?.seq ?? after }
  }
)
