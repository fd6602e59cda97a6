import { keyId, type KeyringReport } from '../../api/index.ts'
import { defineHandler, httpErrorOf, validate } from '../../runtime/index.ts'

/**
 * The last step: removes a key from every live member; requests signed with it are refused from
 * then on. Refused (KEY_IN_USE) while any member signs with it, and (KEY_NOT_EVERYWHERE) while a
 * live member cannot be asked whether it does.
 */
export default defineHandler(
  {
    access: 'admin',
    summary: 'Removes a cluster key from every live member',
    keyless: 'a key removed stays removed; sent again, GET /keys shows whether it went',
  },
  async (request, ctx): Promise<KeyringReport> => {
    const id = validate(keyId, request.params.id, 'id')
    try {
      return await ctx.keys.remove(id)
    } catch (err) {
      throw httpErrorOf(err)
    }
  }
)
