import { Command, Option } from 'commander';
import { parseConfig, ConfigError, type Config } from '../config.js';
import { createLogger } from '../logger.js';
import { openStore, migrateToLatest } from '../store/db.js';
import { startTuco, type Role } from '../server.js';
import {
  apiKeyView, createWorkspace, defaultWorkspace, generateApiKey, getWorkspace, insertApiKey, listApiKeys, listWorkspaces, revokeApiKey,
} from '../store/workspaces.js';

function loadConfig(): Config {
  try {
    return parseConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
}

/** Runs fn against the store (migrated first unless told not to), then closes it. */
async function withStore<T>(fn: (store: ReturnType<typeof openStore>) => Promise<T>, opts: { migrate: boolean } = { migrate: true }): Promise<T> {
  const config = loadConfig();
  const store = openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    if (opts.migrate) await migrateToLatest(store.db);
    return await fn(store);
  } finally {
    await store.close();
  }
}

const fail = (msg: string): never => {
  process.stderr.write(`${msg}\n`);
  process.exit(1);
};

const program = new Command('tuco').description('Tuco: self-hosted outreach over iMessage, SMS and email');

program
  .command('serve')
  .description('run the API, console and sending engine')
  .addOption(new Option('--role <role>', 'all, api (HTTP only) or worker (engine only; PostgreSQL)').choices(['all', 'api', 'worker']).default('all'))
  .action(async (opts: { role: Role }) => {
    const config = loadConfig();
    const logger = createLogger(config.logLevel);
    let running: Awaited<ReturnType<typeof startTuco>>;
    try {
      running = await startTuco(config, logger, opts.role);
    } catch (err) {
      logger.fatal({ err }, 'Tuco could not start');
      return fail(`Tuco could not start: ${(err as Error).message}`);
    }
    const shutdown = async (signal: string) => {
      logger.info({ signal }, 'shutting down');
      await running.stop();
      process.exit(0);
    };
    process.on('SIGINT', () => void shutdown('SIGINT'));
    process.on('SIGTERM', () => void shutdown('SIGTERM'));
  });

program
  .command('migrate')
  .description('apply pending database migrations')
  .action(async () => {
    const applied = await withStore((s) => migrateToLatest(s.db), { migrate: false });
    process.stdout.write(applied.length ? `Applied: ${applied.join(', ')}\n` : 'The database is up to date.\n');
  });

const resolveWorkspace = async (store: ReturnType<typeof openStore>, id?: string) => {
  const ws = id ? await getWorkspace(store.db, id) : await defaultWorkspace(store.db);
  return ws ?? fail(id ? `No workspace ${id}; see "tuco workspace list"` : 'No workspace yet: run "tuco serve" once or "tuco workspace create <name>"');
};

const keys = program.command('keys').description('manage API keys');
keys
  .command('create')
  .description('create an API key and print it once')
  .option('--workspace <id>', 'workspace id (default: the first workspace)')
  .option('--name <name>', 'label', 'CLI key')
  .action(async (opts: { workspace?: string; name: string }) => {
    await withStore(async (store) => {
      const ws = await resolveWorkspace(store, opts.workspace);
      const key = generateApiKey();
      const row = await insertApiKey(store.db, ws.id, opts.name, key, Date.now());
      process.stdout.write(`Created key ${row.id} (${opts.name}) for workspace ${ws.id}. Store it now; it is shown once:\n${key}\n`);
    });
  });
keys
  .command('list')
  .option('--workspace <id>', 'workspace id (default: the first workspace)')
  .action(async (opts: { workspace?: string }) => {
    await withStore(async (store) => {
      const ws = await resolveWorkspace(store, opts.workspace);
      for (const k of (await listApiKeys(store.db, ws.id)).map(apiKeyView)) {
        process.stdout.write(`${k._id}  ${k.prefix}…  ${k.isActive ? 'active ' : 'revoked'}  ${k.name}\n`);
      }
    });
  });
keys
  .command('revoke <keyId>')
  .option('--workspace <id>', 'workspace id (default: the first workspace)')
  .action(async (keyId: string, opts: { workspace?: string }) => {
    await withStore(async (store) => {
      const ws = await resolveWorkspace(store, opts.workspace);
      if (!(await revokeApiKey(store.db, ws.id, keyId, Date.now()))) fail(`No active key ${keyId} in workspace ${ws.id}`);
      process.stdout.write(`Revoked ${keyId}\n`);
    });
  });

const workspace = program.command('workspace').description('manage workspaces');
workspace
  .command('create <name>')
  .description('create a workspace with a first API key')
  .action(async (name: string) => {
    await withStore(async (store) => {
      const key = generateApiKey();
      const ws = await store.db.transaction().execute(async (trx) => {
        const w = await createWorkspace(trx, name, Date.now());
        await insertApiKey(trx, w.id, 'Default key', key, Date.now());
        return w;
      });
      process.stdout.write(`Created workspace ${ws.id} (${name}). Its API key (shown once):\n${key}\n`);
    });
  });
workspace.command('list').action(async () => {
  await withStore(async (store) => {
    for (const w of await listWorkspaces(store.db)) process.stdout.write(`${w.id}  ${w.billing_status.padEnd(9)}  ${w.name}\n`);
  });
});

await program.parseAsync(process.argv);
