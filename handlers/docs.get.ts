import { defineHandler, html } from '../runtime/index.ts'
import { docsPage } from './_shared/docs-page.ts'

/** The API documentation as one HTML page, made from GET /openapi.json: nothing loaded from elsewhere. */
export default defineHandler(
  { access: 'public', summary: 'This API documented, as an HTML page' },
  async (_request, ctx) => html(docsPage(ctx.openapi()))
)
