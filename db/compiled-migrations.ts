import { readdirSync } from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Knex } from 'knex'

/**
 * The migrations of a built node (dist/migrations/*.js) under the names the knex CLI gives
 * their sources (*.ts), so one database can be migrated by either.
 */
export class CompiledMigrations implements Knex.MigrationSource<string> {
  constructor(private readonly directory: string) {}

  async getMigrations(): Promise<string[]> {
    return readdirSync(this.directory)
      .filter((file) => file.endsWith('.js'))
      .sort()
  }

  getMigrationName(file: string): string {
    return file.replace(/\.js$/, '.ts')
  }

  getMigration(file: string): Promise<Knex.Migration> {
    return import(pathToFileURL(path.join(this.directory, file)).href)
  }
}
