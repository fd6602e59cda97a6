import { keyId, type KeyringReport } from '../../../api/index.ts'
import { defineHandler, httpErrorOf, validate } from '../../../runtime/index.ts'

/**
 * The second step: every live member signs with this key from now on. Refused (KEY_NOT_EVERYWHERE,
 * nothing changed) unless every live member holds it already, so that no member ever signs with
 * a key another would refuse.
 */
export default defineHandler(
  {
    access: 'admin',
    summary: 'Makes an installed cluster key the one every live member signs with',
    keyless: 'the same change however often it is asked',
  },
  async (request, ctx): Promise<KeyringReport> => {
    const id = validate(keyId, request.params.id, 'id')
    try {
      return await ctx.keys.use(id)
    } catch (err) {
      throw httpErrorOf(err)
    }
  }
)
