import { defineHandler, HttpError, webAsset } from '../../runtime/index.ts'

/** The web client's scripts and styles, by hashed name: the same name is always the same bytes. */
export default defineHandler(
  { access: 'public', summary: 'A file of the web client (script or style), cached for a year' },
  async (request) => {
    const file = String(request.params.file)
    const asset = webAsset(file, request.headers.get('accept-encoding'))
    if (!asset) throw new HttpError('NOT_FOUND', `The web client has no file named ${file}`)
    return asset
  }
)
