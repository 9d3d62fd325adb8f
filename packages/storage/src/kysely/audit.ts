import { objectId } from '@gatehouse-auth/core';
import type { StorageTransaction } from '../contract.js';
import type { Scope } from './scope.js';

export type AuditQueries = Pick<StorageTransaction, 'recordAuditEvent' | 'listAuditEvents'>;

const DEFAULT_AUDIT_LIMIT = 100;
const MAX_AUDIT_LIMIT = 1000;

/** The audit trail: appended to, read newest first. Deliberately not tied to users, so it outlives them. */
export function auditQueries(s: Scope): AuditQueries {
  return {
    async recordAuditEvent(event) {
      await s.db
        .insertInto('audit_events')
        .values({
          id: objectId(event.now),
          app_id: event.appId,
          user_id: event.userId ?? null,
          type: event.type,
          ip: event.ip ?? null,
          detail: JSON.stringify(event.detail ?? {}),
          at: event.now,
        })
        .execute();
    },

    async listAuditEvents(appId, options) {
      const limit = Math.min(Math.max(Math.trunc(options?.limit ?? DEFAULT_AUDIT_LIMIT), 0), MAX_AUDIT_LIMIT);
      let query = s.db.selectFrom('audit_events').selectAll().where('app_id', '=', appId);
      if (options?.userId !== undefined) query = query.where('user_id', '=', options.userId);
      const rows = await query.orderBy('at', 'desc').orderBy('id', 'desc').limit(limit).execute();
      return rows.map(s.map.auditEvent);
    },
  };
}
