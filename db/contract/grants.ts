// Who may use a queue or a topic (issue "Messaging", point 7). With no grant on it, the roles
// decide (an operator publishes and consumes, an admin manages); once a user is granted, only the
// users granted (and admins) may, each as granted. The operations that publish, consume or manage
// check the user their envelope names (db/actor.ts).
import { z } from 'zod'
import { read, write } from './descriptor.ts'

export const GRANT_KINDS = ['queue', 'topic'] as const

export interface Grant {
  kind: (typeof GRANT_KINDS)[number]
  name: string
  user: string
  publish: boolean
  consume: boolean
  manage: boolean
}

const target = {
  kind: z.enum(GRANT_KINDS),
  name: z.string().min(1).max(100),
}

export const grantOps = {
  'grants.list': read(
    z.strictObject({ kind: target.kind.optional(), name: target.name.optional() })
  ).returns<{ grants: Grant[] }>(),
  'grants.set': write(
    z.strictObject({
      ...target,
      user: z.string().min(1).max(64),
      publish: z.boolean(),
      consume: z.boolean(),
      manage: z.boolean(),
    })
  ).returns<Grant>(),
  'grants.delete': write(z.strictObject({ ...target, user: z.string().min(1).max(64) })).returns<{
    deleted: boolean
  }>(),
}
