import { topicName } from '../../api/index.ts'
import { defineHandler, validate } from '../../runtime/index.ts'

/** Deletes a topic and what it keeps; subscriptions, and what they hold, stay. */
export default defineHandler(
  {
    access: 'operator',
    summary: 'Deletes a topic and the messages it keeps (an admin, or a user granted manage)',
  },
  async (request, ctx) =>
    ctx.db.send('topics.delete', {
      name: validate(topicName, request.params.name, 'topic in the path'),
    })
)
