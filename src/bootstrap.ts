import type { Store } from './store/db.js';
import { createWorkspace, defaultWorkspace, findApiKey, generateApiKey, insertApiKey, listApiKeys } from './store/workspaces.js';
import type { Config } from './config.js';

/**
 * First-start set-up: the default workspace, and its first key. Returns the plain key only when
 * one was generated now, so the caller can print it once.
 */
export async function bootstrap(store: Store, config: Config, now: number): Promise<{ workspaceId: string; createdKey: string | null }> {
  return store.db.transaction().execute(async (trx) => {
    let ws = await defaultWorkspace(trx);
    if (!ws) ws = await createWorkspace(trx, 'Default workspace', now);
    if (config.bootstrapApiKey) {
      if (!(await findApiKey(trx, config.bootstrapApiKey))) await insertApiKey(trx, ws.id, 'Bootstrap key', config.bootstrapApiKey, now);
      return { workspaceId: ws.id, createdKey: null };
    }
    if ((await listApiKeys(trx, ws.id)).length === 0) {
      const key = generateApiKey();
      await insertApiKey(trx, ws.id, 'First key', key, now);
      return { workspaceId: ws.id, createdKey: key };
    }
    return { workspaceId: ws.id, createdKey: null };
  });
}
