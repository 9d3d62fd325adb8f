import type { StorageTransaction } from '../contract.js';
import type { Scope } from './scope.js';

export type ServiceConfigurationQueries = Pick<
  StorageTransaction,
  'getServiceConfiguration' | 'setServiceConfiguration' | 'listServiceConfigurations' | 'deleteServiceConfiguration'
>;

/** The `service_configurations` table: an app's external services stored at run time (`gatehouse services`). */
export function serviceConfigurationQueries(s: Scope): ServiceConfigurationQueries {
  return {
    async getServiceConfiguration(appId, service) {
      const row = await s.db
        .selectFrom('service_configurations')
        .select('config')
        .where('app_id', '=', appId)
        .where('service', '=', service)
        .executeTakeFirst();
      return row ? s.capabilities.decodeJson(row.config) : null;
    },

    async setServiceConfiguration(appId, service, config, now) {
      const json = JSON.stringify(config);
      await s.db
        .insertInto('service_configurations')
        .values({ app_id: appId, service, config: json, updated_at: now })
        .onConflict((oc) => oc.columns(['app_id', 'service']).doUpdateSet({ config: json, updated_at: now }))
        .execute();
    },

    async listServiceConfigurations(appId) {
      const rows = await s.db
        .selectFrom('service_configurations')
        .select(['service', 'config', 'updated_at'])
        .where('app_id', '=', appId)
        .orderBy('service')
        .execute();
      return rows.map((row) => ({
        service: row.service,
        config: s.capabilities.decodeJson(row.config),
        updatedAt: Number(row.updated_at),
      }));
    },

    async deleteServiceConfiguration(appId, service) {
      const result = await s.db
        .deleteFrom('service_configurations')
        .where('app_id', '=', appId)
        .where('service', '=', service)
        .executeTakeFirst();
      return result.numDeletedRows > 0n;
    },
  };
}
