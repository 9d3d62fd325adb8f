import { objectId } from '@gatehouse-auth/core';
import type { StorageTransaction } from '../contract.js';
import type { Scope } from './scope.js';

export type AuditQueries = Pick<StorageTransaction, 'recordAuditEvent' | 'listAuditEvents' | 'deleteAuditEventsBefore'>;

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
          user_agent: event.userAgent ?? null,
          actor: event.actor ?? null,
          detail: JSON.stringify(event.detail ?? {}),
          at: event.now,
        })
        .execute();
    },

    async listAuditEvents(appId, options = {}) {
      const limit = Math.min(Math.max(Math.trunc(options.limit ?? DEFAULT_AUDIT_LIMIT), 0), MAX_AUDIT_LIMIT);
      let query = s.db.selectFrom('audit_events').selectAll().where('app_id', '=', appId);
      if (options.userId !== undefined) query = query.where('user_id', '=', options.userId);
      if (options.type !== undefined) query = query.where('type', '=', options.type);
      if (options.since !== undefined) query = query.where('at', '>=', options.since);
      if (options.until !== undefined) query = query.where('at', '<', options.until);
      const before = options.before;
      if (before !== undefined)
        query = query.where((eb) =>
          eb.or([eb('at', '<', before.at), eb.and([eb('at', '=', before.at), eb('id', '<', before.id)])]),
        );
      const rows = await query.orderBy('at', 'desc').orderBy('id', 'desc').limit(limit).execute();
      return rows.map(s.map.auditEvent);
    },

    async deleteAuditEventsBefore(before) {
      const result = await s.db.deleteFrom('audit_events').where('at', '<', before).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
