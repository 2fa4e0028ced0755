import type { Migration, MigrationProvider } from 'kysely';
import * as m001 from './001_foundation.js';
import * as m002 from './002_webhooks.js';
import * as m003 from './003_availability.js';

/** Migrations bundled as code, applied in name order at start and by `tuco migrate`. */
export const migrations: Record<string, Migration> = {
  '001_foundation': m001,
  '002_webhooks': m002,
  '003_availability': m003,
};

export const migrationProvider: MigrationProvider = {
  async getMigrations() {
    return migrations;
  },
};
