import { defineHandler, webPage } from '../runtime/index.ts'

/** The web client's page. It holds no data: everything it shows is asked for with a token. */
export default defineHandler(
  { access: 'public', summary: 'The web client (an HTML page; its data needs a token)' },
  async () => webPage()
)
