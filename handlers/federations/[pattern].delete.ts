import { topicPattern } from '../../api/index.ts'
import { defineHandler, validate } from '../../runtime/index.ts'

/** Stops carrying a pattern's topics; what is in the outbox already still goes. */
export default defineHandler(
  { access: 'admin', summary: 'Stops carrying the topics a pattern matches to peers' },
  async (request, ctx) =>
    ctx.db.send('federations.delete', {
      pattern: validate(topicPattern, request.params.pattern, 'pattern in the path'),
    })
)
