/**
 * `@gatehouse-auth/server/primary`: what the primary process of `gatehouse serve --workers <n>` needs, and no
 * more — reading the configuration, logging, the shared hashing pool and the cluster hub. The primary serves
 * no requests, so it does not load the routes, the account core, the database drivers or the front ends:
 * about 30 MB less in that process than importing `@gatehouse-auth/server`.
 *
 * @example
 * ```ts
 * import { createClusterHub, createHashPool, createHubRateLimiter, loadConfig } from '@gatehouse-auth/server/primary';
 *
 * const config = await loadConfig('gatehouse.config.json');
 * const hub = createClusterHub({ pool: createHashPool({}), limiter: createHubRateLimiter(), relayChanges: true });
 * ```
 *
 * @module
 */
export { type ClusterHub, createClusterHub, createHubRateLimiter, type IpcEndpoint } from './cluster/index.js';
export { CONFIG_FILE_NAMES, findConfigFile, loadConfig } from './config/load.js';
export { ConfigError, type ResolvedConfig } from './config/resolve.js';
export { createLogger, type Logger } from './logger.js';
export { type MetricsServer, serveMetrics } from './node/metrics-server.js';
export { createHashPool, type HashPool } from './passwords/hasher.js';

/**
 * The cluster's metrics, loaded only when `metrics.enabled` (prom-client is ~10 MB of a process's memory).
 *
 * @example
 * ```ts
 * const { createClusterMetrics } = await loadClusterMetrics();
 * ```
 */
export const loadClusterMetrics = () => import('./metrics/cluster.js');
