import type { StorageTransaction } from '../contract.js';
import type { Scope } from './scope.js';

export type AppQueries = Pick<StorageTransaction, 'ensureApp'>;

/** The `apps` table: the ids users belong to. */
export function appQueries(s: Scope): AppQueries {
  return {
    async ensureApp(appId, now) {
      await s.db
        .insertInto('apps')
        .values({ id: appId, created_at: now })
        .onConflict((oc) => oc.column('id').doNothing())
        .execute();
    },
  };
}
