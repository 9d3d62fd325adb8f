import { GatehouseError } from '@gatehouse-auth/core';
import type { UserRecord } from '@gatehouse-auth/storage';
import { z } from 'zod';
import { logIn } from '../../accounts/index.js';
import type { AppSettings, RequestInfo, ServerContext } from '../../context.js';
import { type LoginResultValue, loggedIn, type MethodCall } from '../../ddp/methods/method.js';
import { MeteorError, matchFailed } from '../../ddp/wire.js';
import type { CredentialProvider } from '../../providers/registry.js';
import { addExternalServiceToUser, servicesOfUser, updateOrCreateUserFromExternalService } from './external-user.js';
import { retrievePendingCredential } from './pending.js';
import { configuredService } from './settings.js';

/**
 * Redeeming a pending credential (Meteor's `login({ oauth: { credentialToken, credentialSecret } })`):
 * once, with its secret, for the app it was made for; then the user the service
 * proved — found or created by {@link updateOrCreateUserFromExternalService}. Over DDP
 * ({@link loginWithOAuthOverDdp}) and over HTTP (the `oauth-credential` provider, {@link oauthCredentialProvider}).
 */

/** Meteor's `Accounts.LoginCancelledError.numericError`: the client turns it into a cancelled login. */
export const LOGIN_CANCELLED = 0x8acdc2f;

const LENGTH = /^[A-Za-z0-9_-]{8,128}$/;

/** The user a credential proves; a refusal otherwise (Meteor's errors). */
async function redeem(
  ctx: ServerContext,
  app: AppSettings,
  credentialToken: string,
  credentialSecret: string | null,
  info: RequestInfo | null,
): Promise<{ user: UserRecord; service: string; identityProvider: string }> {
  // Meteor stores a failed login's error under a null secret; Gatehouse stores nothing for a failed login
  // (the popup or page showed the error), so a null secret finds nothing — a cancelled login, as in Meteor.
  const credential =
    credentialSecret === null ? null : await retrievePendingCredential(ctx, app, credentialToken, credentialSecret);
  if (!credential) throw new MeteorError(LOGIN_CANCELLED, 'No matching login attempt found');
  const configured = await configuredService(ctx, app, credential.serviceName);
  if (!configured)
    throw new MeteorError(LOGIN_CANCELLED, `No registered oauth service found for: ${credential.serviceName}`);
  const { name, identityProvider } = configured.service;
  const user = await updateOrCreateUserFromExternalService(
    ctx,
    app,
    { name, identityProvider },
    credential.serviceData,
    credential.options,
    info,
  );
  if (user.disabled) throw new MeteorError(403, 'Login forbidden');
  return { user, service: name, identityProvider };
}

/**
 * DDP `login({ oauth: { credentialToken, credentialSecret } })`: the login through the account core (hooks,
 * session, events) with a new login token, whose result `type` is the service's name (`github`), as Meteor
 * answers.
 *
 * @example
 * ```ts
 * if (options.oauth) return loginWithOAuthOverDdp(call, options.oauth);
 * ```
 */
export async function loginWithOAuthOverDdp(call: MethodCall, oauth: unknown): Promise<LoginResultValue> {
  const { ctx, app, info } = call;
  // Meteor's check: { credentialToken: String, credentialSecret: Match.OneOf(null, String) }, nothing else.
  if (oauth === null || typeof oauth !== 'object' || Array.isArray(oauth)) throw matchFailed();
  const { credentialToken, credentialSecret, ...rest } = oauth as Record<string, unknown>;
  if (
    Object.keys(rest).length > 0 ||
    typeof credentialToken !== 'string' ||
    (credentialSecret !== null && typeof credentialSecret !== 'string')
  )
    throw matchFailed();
  const usable = LENGTH.test(credentialToken) && (credentialSecret === null || LENGTH.test(credentialSecret));
  let service = 'oauth';
  let provider = 'oauth-credential';
  const started = await logIn(
    ctx,
    app,
    {
      type: 'oauth',
      methodName: 'login',
      // The session is recorded with the service's identity provider, known once the credential is read.
      get providerType() {
        return provider;
      },
      info,
      services: (user) => servicesOfUser(ctx, app, user),
    },
    async () => {
      if (!usable) throw new MeteorError(LOGIN_CANCELLED, 'No matching login attempt found');
      const proved = await redeem(ctx, app, credentialToken, credentialSecret as string | null, info);
      service = proved.service;
      provider = proved.identityProvider;
      return { user: proved.user };
    },
    { kind: 'resume' },
  );
  return loggedIn(call, started, service);
}

const credentialSchema = z
  .object({
    credentialToken: z.string().regex(LENGTH, 'invalid credentialToken'),
    credentialSecret: z.string().regex(LENGTH, 'invalid credentialSecret'),
  })
  .strict();

/**
 * The same over HTTP for Gatehouse's client (`loginWithGithub()` and friends): `POST
 * …/auth/providers/oauth-credential/login` with `{ credentialToken, credentialSecret }` logs in like any App
 * Services credential (access and refresh token); with `?link=true` it adds the service to the caller.
 */
export const oauthCredentialProvider: CredentialProvider<z.output<typeof credentialSchema>> = {
  type: 'oauth-credential',
  schema: credentialSchema,
  enabled: () => true,
  async logIn(ctx, app, { credentialToken, credentialSecret }, info) {
    try {
      return { user: (await redeem(ctx, app, credentialToken, credentialSecret, info)).user };
    } catch (error) {
      throw httpRefusal(error);
    }
  },
  async link(ctx, app, user, { credentialToken, credentialSecret }, info) {
    const credential = await retrievePendingCredential(ctx, app, credentialToken, credentialSecret);
    if (!credential) throw new GatehouseError('AuthError', 'No matching login attempt found');
    const configured = await configuredService(ctx, app, credential.serviceName);
    if (!configured)
      throw new GatehouseError('AuthError', `No registered oauth service found for: ${credential.serviceName}`);
    await addExternalServiceToUser(ctx, app, user, configured.service, credential.serviceData, info);
  },
};

/** A DDP refusal as the HTTP API answers it (401 for a login that is not there, 403 for a forbidden one). */
function httpRefusal(error: unknown): unknown {
  if (error instanceof MeteorError)
    return new GatehouseError(error.error === 403 ? 'Forbidden' : 'AuthError', error.reason ?? String(error.error));
  return error;
}
