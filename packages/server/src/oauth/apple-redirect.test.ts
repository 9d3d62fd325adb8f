import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { browse } from '../testing/external-login.js';
import { startTestGatehouse, TEST_APP_ID, type TestGatehouse } from '../testing/index.js';
import { type ServiceStandIns, startServiceStandIns } from '../testing/service-stand-ins.js';
import { generateEncryptionKey } from './vault.js';

const PAGE = 'https://app.test/callback';

/**
 * realm-web's `Credentials.apple(redirectUrl)` through the App Services redirect flow, against a loopback
 * stand-in of Sign in with Apple: `response_mode=form_post` (the answer is a form posted to the callback), a
 * client secret signed from the `.p8` key and checked by the stand-in, an ID token checked against its keys.
 */
describe.each(['sqlite', 'postgres'] as const)('Apple by redirect, App Services flow (%s)', (dialect) => {
  let services: ServiceStandIns;
  let t: TestGatehouse;
  beforeAll(async () => {
    services = await startServiceStandIns();
  });
  afterAll(() => services.close());
  afterEach(() => t?.close());

  it('logs in through the form post and keeps the tokens; a posted answer without a valid state is refused', async () => {
    const apple = services.settings.apple;
    t = await startTestGatehouse(dialect, {
      config: {
        encryptionKeys: [generateEncryptionKey('k')],
        apps: {
          [TEST_APP_ID]: {
            oauthRedirectUris: [PAGE],
            providers: {
              'oauth2-apple': {
                clientIds: [apple.clientId as string],
                issuer: apple.issuer,
                jwksUrl: `${apple.issuer}/auth/keys`,
                servicesId: apple.clientId,
                teamId: apple.teamId,
                keyId: apple.keyId,
                privateKey: apple.secret,
              },
            },
          },
        },
      },
      gatehouse: { now: Date.now },
    });
    const start = t.appPath(
      `/auth/providers/oauth2-apple/login?state=abcdefghijkl&redirect=${encodeURIComponent(PAGE)}`,
    );
    const res = await t.request('GET', start);
    expect(res.status).toBe(302);
    const sent = new URL(res.headers.get('location') as string).searchParams;
    expect(Object.fromEntries(sent)).toMatchObject({
      response_mode: 'form_post',
      scope: 'name email',
      client_id: apple.clientId,
      redirect_uri: 'http://gatehouse.test/api/client/v2.0/auth/callback',
      code_challenge_method: 'S256',
    });
    const end = await browse(t.gatehouse, res.headers.get('location') as string);
    expect(
      end.location?.startsWith(`${PAGE}#_baas_client_app_id=${TEST_APP_ID}&_baas_state=abcdefghijkl&_baas_ua=`),
    ).toBe(true);
    const ua = decodeURIComponent(/_baas_ua=([^&]+)/.exec(end.location as string)?.[1] as string).split('$');
    const profile = await t.request('GET', '/api/client/v2.0/auth/profile', { token: ua[0] });
    expect(profile.json.identities[0]).toMatchObject({
      provider_type: 'oauth2-apple',
      provider_data: { email: 'ada@example.com' },
    });
    const kept = (await t.gatehouse.accounts(TEST_APP_ID).serviceData(ua[2] as string)).apple;
    expect(kept).toMatchObject({ idToken: expect.any(String), accessToken: expect.stringMatching(/^apple-token-/) });

    const post = (type: string, body: string) =>
      t.gatehouse.fetch(
        new Request('http://gatehouse.test/api/client/v2.0/auth/callback', {
          method: 'POST',
          headers: { 'content-type': type },
          body,
        }),
      );
    const forged = await post('application/x-www-form-urlencoded', `code=x&state=${'0'.repeat(24)}.${'a'.repeat(43)}`);
    expect(forged.status).toBe(400);
    expect(forged.headers.get('location')).toBeNull();
    expect((await post('text/plain', 'code=x')).status).toBe(415);
  });
});
