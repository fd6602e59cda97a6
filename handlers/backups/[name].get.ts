import { defineHandler } from '../../runtime/index.ts'

/**
 * One backup's file, to keep it on another machine (`almacen backup FILE`). Only a name the node
 * gave a backup is served: any other name, a path among them, is 404.
 */
export default defineHandler(
  {
    access: 'admin',
    summary: "One backup's file, to keep on another machine",
    example: { params: { name: 'backup-2026-12-01T02-46-10-335Z.sqlite' } },
  },
  async (request, ctx) => ctx.backups.download(request.params.name, ctx.cutOff)
)
