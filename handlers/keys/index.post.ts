import { keyInput, type KeyInstalled } from '../../api/index.ts'
import { defineHandler, httpErrorOf } from '../../runtime/index.ts'

/**
 * The first step of a rotation: installs a key on this node and on every live member (sealed
 * under the key they share now). Installed, it is accepted from any member; it signs nothing
 * until it is made primary (POST /keys/:id/use). Given, or made here (generate) and shown once.
 * With `here`, on this node alone: after a leak, each node is given the new key through its own
 * API, since one sealed under the leaked key is as good as sent in the clear to its holder.
 */
export default defineHandler(
  {
    access: 'admin',
    summary: 'Installs a cluster key on every live member',
    body: keyInput,
    example: { body: { generate: true } },
    keyless:
      'a key is installed on every member, not in this database, and a retry of generate makes another; unsure whether one was installed? GET /keys',
  },
  async (_request, ctx, { body }): Promise<KeyInstalled> => {
    try {
      return await ctx.keys.install(body.key, { here: body.here })
    } catch (err) {
      throw httpErrorOf(err)
    }
  }
)
