import { topicName } from '../../api/index.ts'
import { defineHandler, validate } from '../../runtime/index.ts'

/** One topic: its retention and what it keeps now. */
export default defineHandler(
  { access: 'viewer', summary: 'One topic, with what it keeps' },
  async (request, ctx) =>
    ctx.db.send('topics.get', {
      name: validate(topicName, request.params.name, 'topic in the path'),
    })
)
