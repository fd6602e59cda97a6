import { eventsQuery, type EventPage } from '../../api/index.ts'
import { defineHandler, readQuery } from '../../runtime/index.ts'

/** The node's event log, oldest first, after a seq: page on with `after=<nextAfter>`. */
export default defineHandler({ access: 'public' }, async (request, ctx): Promise<EventPage> => {
  const { after, limit, types } = readQuery(request, eventsQuery)
  const page = await ctx.db.send('events.list', { after, limit, types })
  return { ...page, nextAfter: page.events.at(-1)?.seq ?? after }
})
