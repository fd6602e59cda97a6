import { defineHandler } from '../runtime/index.ts'

/** The OpenAPI 3.1 document of this node's routes, made from the schemas they validate with. */
export default defineHandler(
  { access: 'public', summary: 'This API as an OpenAPI 3.1 document (JSON)' },
  async (_request, ctx) => ctx.openapi()
)
