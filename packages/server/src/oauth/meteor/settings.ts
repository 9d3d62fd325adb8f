import { GatehouseError, type JsonObject } from '@gatehouse-auth/core';
import type { AppSettings, ServerContext } from '../../context.js';
import { type ExternalService, SERVICE_NAME, serviceNamed } from '../services/index.js';
import { SECRET_SETTINGS_FIELDS, type ServiceSettings } from '../services/service.js';
import { vaultOf } from '../vault.js';

/**
 * Where an app's external services are configured (Meteor's `ServiceConfiguration.configurations`): the
 * config file (fixed at start-up) and the database (`gatehouse services set`, changed at run time; the client
 * secret encrypted at rest). A service named in the config file cannot be set in the database as well.
 */
export interface ConfiguredService {
  service: ExternalService;
  settings: ServiceSettings;
  source: 'config' | 'database';
}

const secretContext = (appId: string, name: string) => `service-secret:${appId}:${name}`;

/** The service `name` as the app has it configured, or `null` (unknown or not configured). */
export async function configuredService(
  ctx: ServerContext,
  app: AppSettings,
  name: string,
): Promise<ConfiguredService | null> {
  if (!SERVICE_NAME.test(name)) return null;
  const fromFile = app.services[name];
  if (fromFile) {
    const service = serviceNamed(name, fromFile);
    return service ? { service, settings: fromFile as ServiceSettings, source: 'config' } : null;
  }
  const stored = await ctx.storage.getServiceConfiguration(app.id, name);
  return stored ? fromDatabase(ctx, app, name, stored) : null;
}

/** Every service the app has, config file first, then the database's, by name. */
export async function configuredServices(ctx: ServerContext, app: AppSettings): Promise<ConfiguredService[]> {
  const out: ConfiguredService[] = [];
  for (const name of Object.keys(app.services).sort()) {
    const found = await configuredService(ctx, app, name);
    if (found) out.push(found);
  }
  for (const { service: name, config } of await ctx.storage.listServiceConfigurations(app.id)) {
    if (name in app.services) continue;
    const found = fromDatabase(ctx, app, name, config);
    if (found) out.push(found);
  }
  return out;
}

function fromDatabase(
  ctx: ServerContext,
  app: AppSettings,
  name: string,
  stored: JsonObject,
): ConfiguredService | null {
  const service = serviceNamed(name, stored);
  const sealed = stored.secret;
  const secret = typeof sealed === 'string' ? vaultOf(ctx).open(sealed, secretContext(app.id, name)) : null;
  const parsed = service?.settings.safeParse({ ...stored, secret });
  if (!service || !parsed?.success) {
    ctx.logger.warn({ app: app.id, service: name }, 'stored service configuration is unusable (key removed?); ignored');
    return null;
  }
  return { service, settings: parsed.data, source: 'database' };
}

/**
 * What anyone may see of a service's configuration — Meteor's publication leaves out `secret`; here every
 * secret setting is left out — as Meteor's document: `{ service, clientId | appId | consumerKey, loginStyle, … }`.
 */
export function publicServiceDocument(configured: ConfiguredService): Record<string, unknown> {
  const document: Record<string, unknown> = { service: configured.service.name };
  for (const [key, value] of Object.entries(configured.settings)) {
    if ((SECRET_SETTINGS_FIELDS as readonly string[]).includes(key) || value === undefined) continue;
    document[key] = value;
  }
  return document;
}

/**
 * Stores a service's settings in the database (`gatehouse services set`): checked by the service's schema
 * first — a refusal names every missing or bad field — with the secret encrypted.
 *
 * @example
 * ```ts
 * await setStoredService(ctx, app, 'github', { clientId: 'Iv1.abc', secret: '…', loginStyle: 'popup' });
 * ```
 */
export async function setStoredService(
  ctx: ServerContext,
  app: AppSettings,
  name: string,
  raw: Record<string, unknown>,
): Promise<ConfiguredService> {
  const service = serviceNamed(name, raw);
  if (!service)
    throw new GatehouseError(
      'InvalidParameter',
      `unknown service '${name.slice(0, 40)}': use google, facebook, github, twitter, meetup, weibo, meteor-developer or apple, or type: 'oidc' with an issuer`,
    );
  if (name in app.services)
    throw new GatehouseError('InvalidParameter', `service '${name}' is configured in the config file; change it there`);
  const parsed = service.settings.safeParse(raw);
  if (!parsed.success)
    throw new GatehouseError(
      'InvalidParameter',
      `invalid settings for '${name}': ${parsed.error.issues.map((i) => `${i.path.join('.') || '(settings)'}: ${i.message}`).join('; ')}`,
    );
  const vault = vaultOf(ctx);
  if (!vault.enabled)
    throw new GatehouseError(
      'InvalidParameter',
      'set encryptionKeys in the configuration first: the secret is kept encrypted',
    );
  const settings = parsed.data;
  const stored = JSON.parse(
    JSON.stringify({ ...raw, secret: vault.seal(settings.secret, secretContext(app.id, name)) }),
  );
  await ctx.storage.setServiceConfiguration(app.id, name, stored as JsonObject, ctx.now());
  return { service, settings, source: 'database' };
}

/** Removes a service stored in the database; `false` if there was none. */
export async function removeStoredService(ctx: ServerContext, app: AppSettings, name: string): Promise<boolean> {
  if (name in app.services)
    throw new GatehouseError('InvalidParameter', `service '${name}' is configured in the config file; change it there`);
  return ctx.storage.deleteServiceConfiguration(app.id, name);
}

/** One service as the operator sees it: never a secret. */
export interface ServiceView {
  service: string;
  source: 'config' | 'database';
  /** Public settings (client id, login style, endpoints, …). */
  settings: Record<string, unknown>;
  /** The callback URL to register at the service: `<rootUrl>/_oauth/<service>`. */
  callbackUrl: string;
}

/**
 * The operator's view of an app's external services (`gatehouse services …`, `gatehouse.services(appId)`):
 * list them, store one in the database (checked, secret encrypted), remove one, import Meteor's settings.
 *
 * @example
 * ```ts
 * const services = gatehouse.services('my-app');
 * await services.set('github', { clientId: 'Iv1.abc', secret: process.env.GITHUB_SECRET });
 * ```
 */
export function serviceAdmin(ctx: ServerContext, app: AppSettings) {
  const view = (configured: ConfiguredService): ServiceView => {
    const { service: _service, ...settings } = publicServiceDocument(configured);
    return {
      service: configured.service.name,
      source: configured.source,
      settings,
      callbackUrl: `${app.rootUrl}/_oauth/${configured.service.name}`,
    };
  };
  return {
    async list(): Promise<ServiceView[]> {
      return (await configuredServices(ctx, app)).map(view);
    },
    async set(name: string, settings: Record<string, unknown>): Promise<ServiceView> {
      return view(await setStoredService(ctx, app, name, settings));
    },
    remove: (name: string) => removeStoredService(ctx, app, name),
    /**
     * Meteor's `Meteor.settings.packages['service-configuration']` (a settings file's JSON): each service stored
     * as `services set` would. Returns what was stored and what was refused, by service.
     */
    async importMeteorSettings(
      settings: unknown,
    ): Promise<{ stored: ServiceView[]; refused: { service: string; reason: string }[] }> {
      const section = (settings as { packages?: Record<string, unknown> } | null)?.packages?.['service-configuration'];
      if (!section || typeof section !== 'object' || Array.isArray(section))
        throw new GatehouseError('InvalidParameter', "no packages['service-configuration'] in the settings");
      const stored: ServiceView[] = [];
      const refused: { service: string; reason: string }[] = [];
      for (const [name, value] of Object.entries(section as Record<string, unknown>)) {
        try {
          if (!value || typeof value !== 'object' || Array.isArray(value))
            throw new GatehouseError('InvalidParameter', 'expected an object');
          // Meteor's documents may repeat `service`; it is the key here.
          const { service: _service, ...rest } = value as Record<string, unknown>;
          stored.push(view(await setStoredService(ctx, app, name, rest)));
        } catch (error) {
          refused.push({ service: name, reason: error instanceof Error ? error.message : String(error) });
        }
      }
      return { stored, refused };
    },
  };
}

export type ServiceAdmin = ReturnType<typeof serviceAdmin>;
