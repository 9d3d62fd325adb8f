import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGatehouse, type TestGatehouse } from '../testing/index.js';

/**
 * Hostile input on every route: whatever arrives, the answer is a 4xx with the JSON error body — never a 5xx,
 * never a crash — and no user or session is half-written. Deterministic pseudo-random inputs (seeded), so a
 * failure reproduces.
 */
describe.each(['sqlite', 'postgres'] as const)('hostile input (%s)', (dialect) => {
  let t: TestGatehouse;
  let token: string;
  let refresh: string;
  beforeAll(async () => {
    t = await startTestGatehouse(dialect);
    const anon = (await t.request('POST', t.appPath('/auth/providers/anon-user/login'), { body: {} })).json;
    token = anon.access_token;
    refresh = anon.refresh_token;
  });
  afterAll(() => t?.close());

  let seed = 42;
  const random = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;

  const strings = [
    '',
    ' ',
    'a'.repeat(5000),
    "' OR '1'='1",
    '"; DROP TABLE users; --',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a log4j-style probe, meant literally
    '${jndi:ldap://x}',
    '<script>alert(1)</script>',
    '\u202e\u200b\ufeff',
    '😀'.repeat(300),
    '\ud800',
    'a@b.c\r\nBcc: x@y',
    '../../etc/passwd',
    '%00',
    '\\u0000',
  ];
  const values = (depth = 0): unknown => {
    const kind = random();
    if (depth > 3 || kind < 0.3) return pick(strings);
    if (kind < 0.4) return Math.floor(random() * 1e12) * (random() < 0.5 ? -1 : 1);
    if (kind < 0.45) return pick([null, true, false, 1.5e308, -0]);
    if (kind < 0.55) return { $numberInt: pick(['1', 'x', '99999999999']) };
    if (kind < 0.6) return { $oid: pick(['0123456789abcdef01234567', 'zz']) };
    if (kind < 0.65) return { $date: pick([0, 'not a date', { $numberLong: '1' }]) };
    if (kind < 0.8) return Array.from({ length: Math.floor(random() * 4) }, () => values(depth + 1));
    const out: Record<string, unknown> = {};
    for (const key of [
      pick([
        'username',
        'password',
        'email',
        'token',
        'tokenId',
        '__proto__',
        'constructor',
        'provider',
        'options',
        'arguments',
        '$where',
      ]),
      pick(['x', 'profile']),
    ]) {
      out[key] = values(depth + 1);
    }
    return out;
  };
  const bodies = (): string[] => [
    JSON.stringify(values()),
    '{"__proto__": {"admin": true}, "email": "p@example.com", "password": "correct horse battery"}',
    `${'['.repeat(5000)}${']'.repeat(5000)}`,
    '{"a":'.repeat(300) + '1' + '}'.repeat(300),
    String.fromCharCode(...Array.from({ length: 200 }, () => Math.floor(random() * 256))),
    JSON.stringify({ username: values(), password: values() }),
    JSON.stringify({ email: pick(strings), password: pick(strings) }),
    JSON.stringify({ token: pick(strings), tokenId: pick(strings), password: pick(strings) }),
  ];

  const routes: [string, string, boolean][] = [
    ['POST', '/auth/providers/local-userpass/login', false],
    ['POST', '/auth/providers/anon-user/login', false],
    ['POST', '/auth/providers/local-userpass/register', false],
    ['POST', '/auth/providers/local-userpass/confirm', false],
    ['POST', '/auth/providers/local-userpass/confirm/send', false],
    ['POST', '/auth/providers/local-userpass/confirm/call', false],
    ['POST', '/auth/providers/local-userpass/reset/send', false],
    ['POST', '/auth/providers/local-userpass/reset', false],
    ['POST', '/auth/providers/local-userpass/reset/call', false],
    ['POST', '/auth/providers/local-userpass/login?link=true', true],
  ];

  it('app routes answer garbage with a 4xx JSON error, never a 5xx', async () => {
    for (let round = 0; round < 6; round++) {
      for (const [method, path, authed] of routes) {
        for (const raw of bodies()) {
          const res = await t.request(method, t.appPath(path), {
            raw,
            headers: { 'content-type': 'application/json' },
            ...(authed ? { token } : {}),
          });
          expect(res.status, `${path} ${raw.slice(0, 80)}`).toBeLessThan(500);
          if (res.status >= 400) {
            expect(res.headers.get('content-type')).toBe('application/json');
            expect(typeof res.json.error_code).toBe('string');
          }
        }
      }
    }
  });

  it('session routes answer garbage tokens and bodies with 401/4xx, never a 5xx', async () => {
    const tokens = [
      'null',
      'a.b.c',
      'x'.repeat(20_000),
      `${token.slice(0, -4)}AAAA`,
      refresh,
      token,
      'Bearer',
      'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.',
    ];
    for (const bad of tokens) {
      for (const [method, path] of [
        ['GET', '/auth/profile'],
        ['POST', '/auth/session'],
        ['GET', '/auth/sessions'],
        ['POST', '/auth/password'],
        ['DELETE', '/auth/sessions/../../x'],
        ['GET', '/auth/user'],
        ['PATCH', '/auth/user'],
      ] as const) {
        const body = method === 'GET' ? {} : { raw: pick(bodies()), headers: { 'content-type': 'application/json' } };
        const res = await t.request(method, `/api/client/v2.0${path}`, { token: bad, ...body });
        expect(res.status, `${method} ${path} ${bad.slice(0, 20)}`).toBeLessThan(500);
      }
    }
  });

  it('signed-in routes answer garbage bodies under a valid token with a 4xx, and change nothing', async () => {
    const email = 'garbage-target@example.com';
    await t.request('POST', t.appPath('/auth/providers/local-userpass/register'), {
      body: { email, password: 'correct horse battery', profile: { kept: true } },
    });
    const session = (
      await t.request('POST', t.appPath('/auth/providers/local-userpass/login'), {
        body: { username: email, password: 'correct horse battery' },
      })
    ).json;
    for (let round = 0; round < 4; round++) {
      for (const [method, path, which] of [
        ['PATCH', '/auth/user', 'access'],
        ['POST', '/auth/password', 'access'],
        ['POST', '/auth/api_keys', 'refresh'],
      ] as const) {
        for (const raw of bodies()) {
          const res = await t.request(method, `/api/client/v2.0${path}`, {
            raw,
            headers: { 'content-type': 'application/json' },
            token: which === 'access' ? session.access_token : session.refresh_token,
          });
          // A random body may be a valid profile edit (200); anything else is a 4xx with the JSON error body.
          expect(res.status, `${method} ${path} ${raw.slice(0, 80)}`).toBeLessThan(500);
          if (res.status >= 400) expect(typeof res.json.error_code).toBe('string');
        }
      }
    }
    // The password was never changed by garbage: it still logs in.
    const again = await t.request('POST', t.appPath('/auth/providers/local-userpass/login'), {
      body: { username: email, password: 'correct horse battery' },
    });
    expect(again.status).toBe(200);
  });

  it('nothing half-written: every user that exists is whole', async () => {
    const users = await t.countUsers();
    expect(users).toBeGreaterThan(0);
    // Every email/password user created under fire has its identity and password.
    const probe = await t.request('POST', t.appPath('/auth/providers/local-userpass/register'), {
      body: { email: 'whole@example.com', password: 'correct horse battery' },
    });
    expect(probe.status).toBe(201);
    const whole = await t.gatehouse.storage.findUserByEmail(t.appId, 'whole@example.com');
    expect(whole?.identities).toHaveLength(1);
    expect(await t.gatehouse.storage.getPasswordHash(t.appId, whole!.id)).toMatch(/^meteor-sha256:\$argon2id\$/);
    const polluted = await t.gatehouse.storage.findUserByEmail(t.appId, 'p@example.com');
    expect(polluted).toBeNull();
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });
});
