import type { AppSettings, ServerContext } from '../../context.js';
import { type PublicProvider, publicProviders } from '../../providers/public.js';
import { configuredServices, publicServiceDocument } from './settings.js';

/**
 * The app's login methods as anyone may see them (`GET …/auth/providers`): the App Services providers, then
 * each external service as `{ type, service, clientId, loginStyle }` — public fields only. A service also
 * offered as an App Services provider (Google, Facebook) is listed once.
 */
export async function publicLoginMethods(ctx: ServerContext, app: AppSettings): Promise<PublicProvider[]> {
  const providers = publicProviders(app);
  const services = await configuredServices(ctx, app);
  const named = new Set(services.map((s) => s.service.name));
  return [
    ...providers.filter((p) => p.service === undefined || !named.has(p.service)),
    ...services.map(({ service, settings }) => ({
      type: service.identityProvider,
      service: service.name,
      clientId: settings[service.clientIdField] as string,
      ...(settings.loginStyle ? { loginStyle: settings.loginStyle } : {}),
      external: true as const,
    })),
  ];
}

/**
 * Meteor's `meteor_accounts_loginServiceConfiguration` documents (the `meteor.loginServiceConfiguration`
 * publication; docs/external-services.md): every configured service without its secrets, and the App Services
 * OAuth providers as Meteor would name them (Facebook's client id is its `appId`).
 */
export async function loginServiceDocuments(ctx: ServerContext, app: AppSettings): Promise<Record<string, unknown>[]> {
  const services = await configuredServices(ctx, app);
  const named = new Set(services.map((s) => s.service.name));
  const fromProviders = publicProviders(app).flatMap(({ service, clientId }) =>
    service === undefined || named.has(service)
      ? []
      : [{ service, ...(clientId === undefined ? {} : service === 'facebook' ? { appId: clientId } : { clientId }) }],
  );
  return [...fromProviders, ...services.map(publicServiceDocument)];
}
