/**
 * `@gatehouse-auth/server`: the Gatehouse server as a Web `fetch` handler, its configuration, and the Node adapter.
 *
 * @example
 * ```ts
 * import { createGatehouse, serveNode, loadConfig } from '@gatehouse-auth/server';
 * const gatehouse = await createGatehouse(await loadConfig('gatehouse.config.json'));
 * await serveNode(gatehouse, { port: 8080 });
 * ```
 */

export type { ImportedAccount, ImportOutcome } from './accounts/import.js';
export type {
  AdminAccounts,
  AdminAuditEventView,
  AdminSessionView,
  AdminUserView,
  ServerAccounts,
} from './accounts/index.js';
export { ADMIN_KEY_PREFIX, type AdminKeys, type AdminKeyView } from './admin/keys.js';
export {
  type AppServicesExport,
  ExportError,
  type ImportedSettings,
  type ParsedCustomData,
  type ParsedUsers,
  parseAppServicesUsers,
  parseCustomUserData,
  readAppServicesExport,
  settingsFromExport,
} from './app-services/export.js';
export {
  type ClusterClient,
  type ClusterHub,
  createClusterClient,
  createClusterHub,
  createHubRateLimiter,
  type IpcEndpoint,
} from './cluster/index.js';
export { CONFIG_JSON_SCHEMA_FILE, configJsonSchema } from './config/json-schema.js';
export { applyEnvironment, CONFIG_FILE_NAMES, findConfigFile, loadConfig, readConfigFile } from './config/load.js';
export { type AppSettings, ConfigError, type ResolvedConfig, resolveConfig } from './config/resolve.js';
export { configSchema, type GatehouseConfigInput } from './config/schema.js';
export type { Mailer, MailMessage, OutboxMailer } from './email/index.js';
export { createGatehouse, type Gatehouse, type GatehouseOptions } from './gatehouse.js';
export { createLogger, type Logger } from './logger.js';
export {
  importMeteorUsers,
  type MeteorImportOptions,
  type MeteorImportReport,
  parseMongoExport,
} from './meteor/import.js';
export type { GatehouseMetrics, PoolUse } from './metrics/index.js';
export { type MetricsServer, serveMetrics } from './node/metrics-server.js';
export { type NodeServer, serveNode } from './node/serve.js';
export type { ServiceAdmin, ServiceView } from './oauth/meteor/settings.js';
export { type EncryptionKeyConfig, generateEncryptionKey } from './oauth/vault.js';
export { type Operation, openApiDocument } from './openapi/document.js';
export { openApiMarkdown } from './openapi/markdown.js';
export { allOperations } from './openapi/operations.js';
export { createHashPool, createPasswordHasher, type HashPool, type PasswordHasher } from './passwords/index.js';
export { type ServerApiKeyView, serverApiKeys } from './providers/api-key/index.js';
export { generateSigningKey, type SigningAlgorithm, type SigningKeyConfig } from './tokens/keys.js';
