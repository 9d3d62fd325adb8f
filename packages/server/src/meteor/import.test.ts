import { createHash } from 'node:crypto';
import { hash as argon2Hash } from '@node-rs/argon2';
import bcrypt from 'bcryptjs';
import { afterEach, describe, expect, it } from 'vitest';
import { meteorDigests } from '../passwords/index.js';
import { startTestGatehouse, type TestGatehouse } from '../testing/index.js';
import { importMeteorUsers, parseMongoExport } from './import.js';

const digest = (password: string) => meteorDigests(password)[0]!;
const hashedToken = (token: string) => createHash('sha256').update(token).digest('base64');

/** A mongoexport line as Meteor's users collection holds it (Extended JSON dates). */
function meteorUser(overrides: Record<string, unknown> = {}) {
  return {
    _id: 'QwkSmTCZiw5KDx3L6',
    createdAt: { $date: '2024-03-01T10:00:00.000Z' },
    username: 'ada',
    emails: [{ address: 'Ada@Example.com', verified: true }],
    profile: { name: 'Ada Lovelace' },
    services: {
      password: { bcrypt: bcrypt.hashSync(digest('analytical engine'), 4) },
      resume: {
        loginTokens: [
          {
            when: { $date: new Date(Date.UTC(2025, 11, 20)).toISOString() },
            hashedToken: hashedToken('N50Gmknk__geP63YD9pHKdl07b8XXxNGpB_cz5Lte4d'),
          },
        ],
      },
      google: { id: '1234567890', email: 'ada@gmail.com', accessToken: 'ya29.secret', name: 'Ada' },
    },
    ...overrides,
  };
}

describe.each(['sqlite', 'postgres'] as const)('Meteor import (%s)', (dialect) => {
  let t: TestGatehouse;
  afterEach(() => t?.close());

  it('keeps ids, usernames, emails, profiles and dates; passwords verify and upgrade at login; resume tokens become sessions', async () => {
    t = await startTestGatehouse(dialect, { app: { providers: { 'local-userpass': { confirmation: 'email' } } } });
    const argonUser = meteorUser({
      _id: 'b5Xz9vY2WqHk3mN8p',
      username: 'grace',
      emails: [{ address: 'grace@example.com', verified: false }],
      services: { password: { argon2: await argon2Hash(digest('cobol rules'), { memoryCost: 1024, timeCost: 1 }) } },
    });
    const text = `${JSON.stringify(meteorUser())}\n${JSON.stringify(argonUser)}\n`;
    const { records } = parseMongoExport(text);
    const report = await importMeteorUsers(t.gatehouse.storage, t.appId, records, { now: t.now });
    expect(report).toEqual({ imported: 2, unchanged: 0, sessions: 1, failed: [] });

    const ada = await t.gatehouse.storage.getUser(t.appId, 'QwkSmTCZiw5KDx3L6');
    expect(ada).toMatchObject({
      username: 'ada',
      profile: { name: 'Ada Lovelace' },
      emails: [{ address: 'Ada@Example.com', verified: true }],
      createdAt: Date.parse('2024-03-01T10:00:00.000Z'),
    });
    const google = ada?.identities.find((i) => i.providerType === 'oauth2-google');
    expect(google).toMatchObject({ subject: '1234567890', data: { email: 'ada@gmail.com', name: 'Ada' } });
    expect(JSON.stringify(ada)).not.toContain('ya29.secret');

    // The resume token's session is there under Meteor's own hash.
    const session = await t.gatehouse.storage.findSessionByHash(
      t.appId,
      hashedToken('N50Gmknk__geP63YD9pHKdl07b8XXxNGpB_cz5Lte4d'),
    );
    expect(session).toMatchObject({
      userId: 'QwkSmTCZiw5KDx3L6',
      kind: 'resume',
      expiresAt: Date.UTC(2025, 11, 20) + 90 * 86_400_000,
    });

    // The old password logs in over the App Services API and is re-hashed to argon2id.
    const login = (username: string, password: string) =>
      t.request('POST', t.appPath('/auth/providers/local-userpass/login'), { body: { username, password } });
    expect((await login('ada@example.com', 'wrong password!')).status).toBe(401);
    expect((await login('ada@example.com', 'analytical engine')).json.user_id).toBe('QwkSmTCZiw5KDx3L6');
    expect(await t.gatehouse.storage.getPasswordHash(t.appId, 'QwkSmTCZiw5KDx3L6')).toMatch(
      /^meteor-sha256:\$argon2id\$/,
    );
    expect((await login('ada@example.com', 'analytical engine')).status).toBe(200);
    // An unverified imported email still needs confirmation in this app's mode.
    expect((await login('grace@example.com', 'cobol rules')).json.error_code).toBe('AuthError');
  });

  it('is idempotent, and reports bad records without stopping', async () => {
    t = await startTestGatehouse(dialect);
    const lines = [
      JSON.stringify(meteorUser()),
      '{ not json',
      JSON.stringify(meteorUser({ _id: 'has spaces' })),
      JSON.stringify(meteorUser({ _id: 'dupEmail000000001', username: 'other', services: {} })),
      JSON.stringify(meteorUser({ _id: 'badEmails00000001', username: 'x', emails: 'nope' })),
      JSON.stringify(
        meteorUser({
          _id: 'goodOne0000000001',
          username: 'lin',
          emails: [{ address: 'lin@example.com', verified: false }],
          services: {},
        }),
      ),
    ].join('\n');
    const first = await importMeteorUsers(t.gatehouse.storage, t.appId, parseMongoExport(lines).records, {
      now: t.now,
    });
    expect(first.imported).toBe(2);
    expect(first.failed.map((f) => [f.record, f.reason])).toEqual([
      [2, expect.stringContaining('not valid JSON')],
      [3, '_id must be a string of letters and digits'],
      [4, 'email already belongs to another user'],
      [5, 'emails must be an array'],
    ]);
    expect(await t.gatehouse.storage.getUser(t.appId, 'dupEmail000000001')).toBeNull();
    const second = await importMeteorUsers(t.gatehouse.storage, t.appId, parseMongoExport(lines).records, {
      now: t.now,
    });
    expect(second).toMatchObject({ imported: 0, unchanged: 2 });
    expect(await t.countUsers()).toBe(2);
  });

  it('reads a --jsonArray export and skips expired resume tokens', async () => {
    t = await startTestGatehouse(dialect);
    const old = meteorUser({
      services: {
        resume: { loginTokens: [{ when: { $date: '2020-01-01T00:00:00.000Z' }, hashedToken: hashedToken('old') }] },
      },
    });
    const report = await importMeteorUsers(
      t.gatehouse.storage,
      t.appId,
      parseMongoExport(JSON.stringify([old])).records,
      { now: t.now },
    );
    expect(report).toMatchObject({ imported: 1, sessions: 0 });
  });
});
