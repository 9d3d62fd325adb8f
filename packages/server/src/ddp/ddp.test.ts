import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { openTestStorage } from '@gatehouse-auth/storage/testing';
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createGatehouse, type Gatehouse } from '../gatehouse.js';
import { importMeteorUsers } from '../meteor/import.js';
import { type NodeServer, serveNode } from '../node/serve.js';
import { meteorDigests } from '../passwords/index.js';
import { testSigningKey } from '../testing/index.js';
import { RawDdp } from '../testing/raw-ddp.js';

const APP = 'ddp-app';
const digestOf = (password: string) => ({ digest: meteorDigests(password)[0]!, algorithm: 'sha-256' });

describe.each(['sqlite', 'postgres'] as const)('DDP endpoint (%s)', (dialect) => {
  let gatehouse: Gatehouse;
  let server: NodeServer;
  let cleanup: () => Promise<void>;
  let url: string;

  beforeAll(async () => {
    const opened = await openTestStorage(dialect);
    cleanup = opened.cleanup;
    gatehouse = await createGatehouse(
      {
        publicUrl: 'http://127.0.0.1:0',
        database: { url: 'sqlite::memory:' },
        keys: [await testSigningKey()],
        logLevel: 'silent',
        passwordHashing: { memoryCost: 1024, timeCost: 1, parallelism: 1 },
        apps: { [APP]: { providers: { 'local-userpass': { confirmation: 'auto' } } } },
      },
      { storage: opened.storage },
    );
    server = await serveNode(gatehouse, { port: 0 });
    url = `${server.url.replace('http', 'ws')}/websocket`;
  });
  afterAll(async () => {
    await server?.close();
    await cleanup?.();
  });

  describe('protocol', () => {
    it('negotiates the version, answers pings, and refuses what is not DDP', async () => {
      const bad = await RawDdp.open(url, false);
      bad.send({ msg: 'connect', version: '99', support: ['99'] });
      expect(await bad.next((m) => m.msg === 'failed')).toEqual({ msg: 'failed', version: '1' });
      await bad.closed;

      const early = await RawDdp.open(url, false);
      early.send({ msg: 'method', id: '1', method: 'login', params: [] });
      expect((await early.next((m) => m.msg === 'error')).reason).toBe('Must connect first');
      early.close();

      const c = await RawDdp.open(`${server.url.replace('http', 'ws')}/app/${APP}/websocket`);
      c.send({ msg: 'ping', id: 'p1' });
      expect(await c.next((m) => m.msg === 'pong')).toEqual({ msg: 'pong', id: 'p1' });
      c.send('{ not json');
      expect((await c.next((m) => m.msg === 'error')).reason).toBe('Bad request');
      c.send(
        JSON.stringify({
          msg: 'method',
          id: 'n',
          method: '/users/update',
          params: [{ _id: 'x' }, { $set: { 'profile.a': 'nul\u0000' } }],
        }),
      );
      expect((await c.next((m) => m.msg === 'error')).reason).toBe('Bad request');
      c.send({ msg: 'teleport' });
      expect((await c.next((m) => m.msg === 'error')).reason).toBe('Bad request');
      expect((await c.call('nope')).error).toMatchObject({ error: 404, reason: "Method 'nope' not found" });
      c.send({ msg: 'sub', id: 's1', name: 'meteor.loginServiceConfiguration', params: [] });
      expect(await c.next((m) => m.msg === 'ready')).toEqual({ msg: 'ready', subs: ['s1'] });
      c.send({ msg: 'sub', id: 's2', name: 'secrets', params: [] });
      expect((await c.next((m) => m.msg === 'nosub')).error.error).toBe(404);
      c.close();
    });

    it('survives garbage frames: every one gets an error or a result, and the server keeps serving', async () => {
      const c = await RawDdp.open(url);
      const frames = [
        '[]',
        'null',
        '42',
        '"msg"',
        '{"msg": 5}',
        '{"msg":"method"}',
        '{"msg":"method","id":1,"method":"login"}',
        '{"msg":"method","id":"x","method":"login","params":"not an array"}',
        '{"msg":"method","id":"y","method":"login","params":[{"resume":{"$date":"nope"}}]}',
        '{"msg":"method","id":"z","method":"login","params":[{"__proto__":{"admin":true},"resume":"t"}]}',
        '{"msg":"method","id":"w","method":"createUser","params":[{"username":{"$gt":""},"password":"x"}]}',
        '{"msg":"sub","id":7}',
        '{"msg":"unsub"}',
        `{"msg":"method","id":"deep","method":"login","params":[${'['.repeat(2000)}${']'.repeat(2000)}]}`,
      ];
      for (const frame of frames) c.send(frame);
      c.send({ msg: 'ping', id: 'after' });
      expect(await c.next((m) => m.msg === 'pong' && m.id === 'after')).toBeTruthy();
      const answers = c.messages.filter((m) => m.msg === 'error' || m.msg === 'result');
      expect(answers.length).toBeGreaterThanOrEqual(frames.length - 1);
      for (const m of answers.filter((a) => a.msg === 'result')) expect(m.error?.error).not.toBe(500);
      c.close();
    });

    it('closes a connection that sends an oversized frame, and the server keeps serving', async () => {
      const c = await RawDdp.open(url);
      c.send({ msg: 'method', id: '1', method: 'login', params: [{ resume: 'x'.repeat(70_000) }] });
      expect((await c.closed).code).toBe(1009);
      const d = await RawDdp.open(url);
      d.send({ msg: 'ping' });
      expect(await d.next((m) => m.msg === 'pong')).toEqual({ msg: 'pong' });
      d.close();
    });
  });

  describe('accounts', () => {
    it('createUser with a digest logs in, publishes the user without services, and the token resumes', async () => {
      const c = await RawDdp.open(url);
      const created = await c.call('createUser', {
        username: `ada-${dialect}`,
        email: `ada-${dialect}@example.com`,
        password: digestOf('analytical engine'),
        profile: { name: 'Ada' },
      });
      expect(created.result).toMatchObject({
        id: expect.any(String),
        token: expect.stringMatching(/^[\w-]{43}$/),
        tokenExpires: { $date: expect.any(Number) },
        type: 'password',
      });
      const added = await c.next((m) => m.msg === 'added' && m.collection === 'users');
      expect(added).toEqual({
        msg: 'added',
        collection: 'users',
        id: created.result.id,
        fields: {
          username: `ada-${dialect}`,
          emails: [{ address: `ada-${dialect}@example.com`, verified: false }],
          profile: { name: 'Ada' },
        },
      });
      await c.next((m) => m.msg === 'updated');
      expect((await c.call('logout')).error).toBeUndefined();
      expect(await c.next((m) => m.msg === 'removed')).toEqual({
        msg: 'removed',
        collection: 'users',
        id: created.result.id,
      });

      // The logged-out token is dead; a password login (digest or plain) works, and so does its token.
      expect((await c.call('login', { resume: created.result.token })).error).toMatchObject({
        error: 403,
        reason: "You've been logged out by the server. Please log in again.",
      });
      const byDigest = await c.call('login', {
        user: { username: `ADA-${dialect}` },
        password: digestOf('analytical engine'),
      });
      expect(byDigest.result).toMatchObject({ id: created.result.id, type: 'password' });
      const byPlain = await c.call('login', {
        user: { email: `ada-${dialect}@example.com` },
        password: 'analytical engine',
      });
      expect(byPlain.result.id).toBe(created.result.id);
      const other = await RawDdp.open(url);
      expect((await other.call('login', { resume: byPlain.result.token })).result).toMatchObject({
        id: created.result.id,
        type: 'resume',
      });
      other.close();
      c.close();
    });

    it('answers bad credentials ambiguously and bad shapes with Match failed', async () => {
      const c = await RawDdp.open(url);
      await c.call('createUser', { username: `bob-${dialect}`, password: 'bob password 1' });
      const wrong = await c.call('login', { user: { username: `bob-${dialect}` }, password: 'not it' });
      const unknown = await c.call('login', { user: { username: 'nobody' }, password: 'not it' });
      for (const r of [wrong, unknown])
        expect(r.error).toMatchObject({
          error: 403,
          reason: 'Something went wrong. Please check your credentials.',
          errorType: 'Meteor.Error',
        });
      c.close();
      // Meteor counts every login call against the connection's limit: the shape checks get a fresh one.
      const d = await RawDdp.open(url);
      // Meteor sanitises the inner Match.Error ("User property must have exactly one field") to `Match failed`.
      expect((await d.call('login', { user: { username: 'a', email: 'b' }, password: 'x' })).error.reason).toBe(
        'Match failed',
      );
      for (const options of [
        { user: { username: '' }, password: 'x' },
        { user: { username: 'a' }, password: { digest: 'short', algorithm: 'sha-256' } },
        { user: { username: 'a' }, password: 'x'.repeat(300) },
        'string',
      ]) {
        expect((await d.call('login', options)).error, JSON.stringify(options).slice(0, 40)).toMatchObject({
          error: 400,
          reason: 'Match failed',
        });
      }
      d.close();
      const e = await RawDdp.open(url);
      expect((await e.call('login', { foo: 1 })).error.reason).toBe('Unrecognized options for login request');
      // A 2FA code (Meteor's loginWithPasswordAnd2faCode) is accepted and, with no 2FA enabled, not asked for;
      // an empty one is a bad shape.
      expect(
        (await e.call('login', { user: { username: `bob-${dialect}` }, password: 'bob password 1', code: '123456' }))
          .result.id,
      ).toEqual(expect.any(String));
      expect(
        (await e.call('login', { user: { username: `bob-${dialect}` }, password: 'bob password 1', code: '' })).error
          .reason,
      ).toBe('Match failed');
      expect((await e.call('createUser', { password: 'x1234567' })).error.reason).toBe(
        'Need to set a username or email',
      );
      // Meteor raises duplicates through `_handleError`: ambiguous too (the exact text is tested without it).
      expect((await e.call('createUser', { username: `bob-${dialect}`, password: 'x1234567' })).error.reason).toBe(
        'Something went wrong. Please check your credentials.',
      );
      e.close();
    });

    it('limits login to 5 calls per 10 s per connection (Meteor default)', async () => {
      const c = await RawDdp.open(url);
      for (let i = 0; i < 5; i++)
        expect((await c.call('login', { user: { username: 'nobody' }, password: 'guess' })).error.error).toBe(403);
      const sixth = await c.call('login', { user: { username: 'nobody' }, password: 'guess' });
      expect(sixth.error).toMatchObject({ error: 'too-many-requests', details: { timeToReset: expect.any(Number) } });
      expect(sixth.error.reason).toMatch(
        /^Error, too many requests\. Please slow down\. You must wait \d+ seconds before trying again\.$/,
      );
      c.close();
    });

    it('logoutOtherClients keeps this connection with a fresh token and closes the others', async () => {
      const a = await RawDdp.open(url);
      const first = (await a.call('createUser', { email: `multi-${dialect}@example.com`, password: 'multi password' }))
        .result;
      const b = await RawDdp.open(url);
      expect((await b.call('login', { resume: first.token })).result.id).toBe(first.id);
      const fresh = await a.call('logoutOtherClients');
      expect(fresh.result).toMatchObject({ id: first.id, token: expect.any(String) });
      expect(fresh.result.token).not.toBe(first.token);
      await b.closed;
      const again = await RawDdp.open(url);
      expect((await again.call('login', { resume: first.token })).error.error).toBe(403);
      expect((await again.call('login', { resume: fresh.result.token })).result.id).toBe(first.id);
      expect((await a.call('getNewToken')).result.id).toBe(first.id);
      again.close();
      a.close();
      const anonymous = await RawDdp.open(url);
      expect((await anonymous.call('getNewToken')).error).toMatchObject({ error: 'You are not logged in.' });
      anonymous.close();
    });

    it('changePassword needs the old password, keeps this connection and closes the others', async () => {
      const a = await RawDdp.open(url);
      const me = (await a.call('createUser', { username: `pw-${dialect}`, password: digestOf('first password') }))
        .result;
      // Another device with a token of its own (a connection resuming the same token would stay, as in Meteor).
      const b = await RawDdp.open(url);
      expect(
        (await b.call('login', { user: { username: `pw-${dialect}` }, password: digestOf('first password') })).result
          .id,
      ).toBe(me.id);
      const anonymous = await RawDdp.open(url);
      expect((await anonymous.call('changePassword', 'x', 'y')).error).toMatchObject({
        error: 401,
        reason: 'Must be logged in',
      });
      anonymous.close();
      expect((await a.call('changePassword', digestOf('wrong'), digestOf('second password'))).error.error).toBe(403);
      const changed = await a.call('changePassword', digestOf('first password'), digestOf('second password'));
      expect(changed.error).toBeUndefined();
      expect(changed.result).toEqual({ passwordChanged: true });
      await b.closed;
      expect((await a.call('getNewToken')).result.id).toBe(me.id);
      const c = await RawDdp.open(url);
      expect(
        (await c.call('login', { user: { username: `pw-${dialect}` }, password: digestOf('second password') })).result
          .id,
      ).toBe(me.id);
      c.close();
      a.close();
    });

    it("lets a user change their own profile, and only that, as Meteor's allow rule does", async () => {
      const a = await RawDdp.open(url);
      const me = (
        await a.call('createUser', {
          username: `prof-${dialect}`,
          password: 'profile password',
          profile: { name: 'Ada' },
        })
      ).result;
      const other = await RawDdp.open(url);
      await other.call('login', { resume: me.token });
      expect(
        (await a.call('/users/update', { _id: me.id }, { $set: { 'profile.city': 'London', 'profile.visits': 1 } }))
          .result,
      ).toBe(1);
      expect(
        (
          await a.call(
            '/users/update',
            { _id: me.id },
            { $inc: { 'profile.visits': 2 }, $unset: { 'profile.name': '' } },
          )
        ).result,
      ).toBe(1);
      // Every connection of the user sees the change.
      const changed = await other.next((m) => m.msg === 'changed' && m.fields.profile.visits === 3);
      expect(changed).toEqual({
        msg: 'changed',
        collection: 'users',
        id: me.id,
        fields: { profile: { city: 'London', visits: 3 } },
      });
      const refusals: [unknown[], RegExp][] = [
        [[{ _id: me.id }, { $set: { disallowed: true, 'profile.updated': 42 } }], /^Access denied$/],
        [
          [{ username: `prof-${dialect}` }, { $set: { 'profile.x': 1 } }],
          /^Not permitted\. Untrusted code may only update documents by ID\.$/,
        ],
        [[{ _id: 'someone-else' }, { $set: { 'profile.x': 1 } }], /^Access denied$/],
        [[{ _id: me.id }, { profile: {} }], /only update documents, not replace them/],
        [[{ _id: me.id }, { $rename: { 'profile.a': 'profile.b' } }], /Operator \$rename not allowed/],
        [[{ _id: me.id }, { $set: { 'profile.__proto__.polluted': 1 } }], /^Access denied$/],
        [[{ _id: me.id }, { $set: { 'profile.x': 1 } }, { upsert: true }], /^Access denied$/],
      ];
      for (const [params, reason] of refusals) {
        const { error } = await a.call('/users/update', ...params);
        expect(error?.error, JSON.stringify(params)).toBe(403);
        expect(error.reason).toMatch(reason);
      }
      expect(
        (await a.call('/users/update', { _id: me.id }, { $set: { 'profile.blob': 'x'.repeat(20_000) } })).error.error,
      ).toBe(400);
      const stored = await gatehouse.storage.getUser(APP, me.id);
      expect(stored?.profile).toEqual({ city: 'London', visits: 3 });
      const anonymous = await RawDdp.open(url);
      expect((await anonymous.call('/users/update', { _id: me.id }, { $set: { 'profile.x': 1 } })).error.error).toBe(
        403,
      );
      anonymous.close();
      other.close();
      a.close();
    });

    it('forgotPassword mails a link whose token resets the password and logs in (resetPassword)', async () => {
      const c = await RawDdp.open(url);
      const me = (
        await c.call('createUser', {
          username: `reset-${dialect}`,
          email: `reset-${dialect}@example.com`,
          password: digestOf('old password'),
        })
      ).result;
      expect((await c.call('forgotPassword', { email: `RESET-${dialect}@example.com` })).error).toBeUndefined();
      // As Meteor: an unknown address is 403 "User not found" — ambiguous by default.
      expect((await c.call('forgotPassword', { email: 'ghost@example.com' })).error).toMatchObject({
        error: 403,
        reason: 'Something went wrong. Please check your credentials.',
      });
      expect((await c.call('forgotPassword', { mail: 'x' })).error.reason).toBe('Match failed');
      let link: URL | undefined;
      for (let i = 0; i < 100 && !link; i++) {
        const mail = gatehouse.outbox?.list().find((m) => m.to === `reset-${dialect}@example.com`);
        const found = mail?.text.match(/https?:\/\/\S+/)?.[0];
        if (found) link = new URL(found);
        else await new Promise((r) => setTimeout(r, 10));
      }
      const combined = `${link!.searchParams.get('tokenId')}.${link!.searchParams.get('token')}`;
      expect((await c.call('resetPassword', 'nonsense', digestOf('new password'))).error).toMatchObject({
        error: 403,
        reason: 'Token expired',
      });
      const reset = await c.call('resetPassword', combined, digestOf('new password'));
      expect(reset.result).toMatchObject({ id: me.id, type: 'password', token: expect.any(String) });
      expect((await c.call('resetPassword', combined, digestOf('newer password'))).error.reason).toBe('Token expired');
      const d = await RawDdp.open(url);
      expect(
        (await d.call('login', { user: { username: `reset-${dialect}` }, password: digestOf('old password') })).error
          .error,
      ).toBe(403);
      expect(
        (await d.call('login', { user: { username: `reset-${dialect}` }, password: digestOf('new password') })).result
          .id,
      ).toBe(me.id);
      expect((await d.call('verifyEmail', 'abc.def')).error).toMatchObject({
        error: 403,
        reason: 'Verify email link expired',
      });
      d.close();
      c.close();
    });

    it('a password set over HTTP (register, the reset page) logs in with the digest a Meteor client sends', async () => {
      const register = await gatehouse.fetch(
        new Request(`${server.url}/api/client/v2.0/app/${APP}/auth/providers/local-userpass/register`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: `http-${dialect}`, password: 'set over http', profile: { via: 'http' } }),
        }),
      );
      expect(register.status).toBe(201);
      const c = await RawDdp.open(url);
      const login = await c.call('login', {
        user: { username: `http-${dialect}` },
        password: digestOf('set over http'),
      });
      expect(login.error).toBeUndefined();
      expect((await c.next((m) => m.msg === 'added' && m.collection === 'users')).fields).toEqual({
        username: `http-${dialect}`,
        emails: [],
        profile: { via: 'http' },
      });
      expect(
        (await c.call('login', { user: { username: `http-${dialect}` }, password: digestOf('set over HTTP') })).error
          .error,
      ).toBe(403);
      c.close();
    });

    it('imported Meteor users keep their resume tokens and passwords', async () => {
      const token = 'N50Gmknk__geP63YD9pHKdl07b8XXxNGpB_cz5Lte4d';
      const report = await importMeteorUsers(gatehouse.storage, APP, [
        {
          _id: `imported${dialect}01`,
          username: `grace-${dialect}`,
          emails: [{ address: `grace-${dialect}@example.com`, verified: true }],
          services: {
            password: { bcrypt: bcrypt.hashSync(meteorDigests('cobol forever')[0]!, 4) },
            resume: {
              loginTokens: [{ when: new Date(), hashedToken: createHash('sha256').update(token).digest('base64') }],
            },
          },
        },
      ]);
      expect(report.imported).toBe(1);
      const c = await RawDdp.open(url);
      expect((await c.call('login', { resume: token })).result).toMatchObject({
        id: `imported${dialect}01`,
        type: 'resume',
      });
      expect(
        (
          await c.call('login', {
            user: { email: `GRACE-${dialect}@example.com` },
            password: digestOf('cobol forever'),
          })
        ).result.id,
      ).toBe(`imported${dialect}01`);
      // The digest login moved the bcrypt hash to today's argon2id of the digest; both kinds of login still work.
      expect(await gatehouse.storage.getPasswordHash(APP, `imported${dialect}01`)).toMatch(
        /^meteor-sha256:\$argon2id\$/,
      );
      expect(
        (await c.call('login', { user: { username: `grace-${dialect}` }, password: 'cobol forever' })).result.id,
      ).toBe(`imported${dialect}01`);
      c.close();
    });
  });

  describe('accounts settings', () => {
    it('exact credential errors without ambiguousErrorMessages; token lifetime from loginExpirationInDays; profile edits off', async () => {
      const opened = await openTestStorage(dialect);
      const strict = await createGatehouse(
        {
          publicUrl: 'http://127.0.0.1:0',
          database: { url: 'sqlite::memory:' },
          keys: [await testSigningKey()],
          logLevel: 'silent',
          passwordHashing: { memoryCost: 1024, timeCost: 1, parallelism: 1 },
          apps: {
            strict: {
              // OAuth services appear in meteor.loginServiceConfiguration, without their secrets.
              accounts: {
                ambiguousErrorMessages: false,
                loginExpirationInDays: 7,
                allowProfileUpdates: false,
                sendVerificationEmail: true,
              },
              providers: {
                'local-userpass': { confirmation: 'email' },
                'oauth2-facebook': { appId: '1234567890', appSecret: 'very-secret-value' },
              },
            },
          },
        },
        { storage: opened.storage },
      );
      const strictServer = await serveNode(strict, { port: 0 });
      try {
        const c = await RawDdp.open(`${strictServer.url.replace('http', 'ws')}/websocket`);
        c.send({ msg: 'sub', id: 'cfg', name: 'meteor.loginServiceConfiguration', params: [] });
        await c.next((m) => m.msg === 'ready' && m.subs[0] === 'cfg');
        const services = c.messages.filter((m) => m.collection === 'meteor_accounts_loginServiceConfiguration');
        expect(services).toEqual([
          {
            msg: 'added',
            collection: 'meteor_accounts_loginServiceConfiguration',
            id: 'facebook',
            fields: { service: 'facebook', appId: '1234567890' },
          },
        ]);
        expect(JSON.stringify(c.messages)).not.toContain('very-secret-value');
        const created = (await c.call('createUser', { username: 'exact', password: 'exact password' })).result;
        expect(created.tokenExpires.$date - Date.now()).toBeGreaterThan(7 * 86_400_000 - 60_000);
        expect(created.tokenExpires.$date - Date.now()).toBeLessThanOrEqual(7 * 86_400_000);
        expect((await c.call('/users/update', { _id: created.id }, { $set: { 'profile.a': 1 } })).error.reason).toBe(
          'Access denied',
        );
        expect((await c.call('login', { user: { username: 'exact' }, password: 'wrong' })).error.reason).toBe(
          'Incorrect password',
        );
        expect((await c.call('login', { user: { username: 'nobody' }, password: 'wrong' })).error.reason).toBe(
          'User not found',
        );
        expect((await c.call('createUser', { username: 'exact', password: 'exact password' })).error.reason).toBe(
          'Username already exists.',
        );
        // The app requires confirmation: createUser makes the account and mails its link, but logs in only once
        // the address is confirmed; the link's token verifies the address over DDP and logs in.
        const refused = await c.call('createUser', { email: 'verify-me@example.com', password: 'verify password' });
        expect(refused.error).toMatchObject({ error: 403, reason: 'Email not verified' });
        const withEmail = (await strict.storage.findUserByEmail('strict', 'verify-me@example.com'))!;
        expect(
          (await c.call('login', { user: { email: 'verify-me@example.com' }, password: 'verify password' })).error,
        ).toMatchObject({ error: 403, reason: 'Email not verified' });
        let link: URL | undefined;
        for (let i = 0; i < 100 && !link; i++) {
          const found = strict.outbox
            ?.list()
            .find((m) => m.to === 'verify-me@example.com')
            ?.text.match(/https?:\/\/\S+/)?.[0];
          if (found) link = new URL(found);
          else await new Promise((r) => setTimeout(r, 10));
        }
        expect(strict.outbox?.list().map((m) => m.to)).toEqual(['verify-me@example.com']);
        expect(link?.pathname).toBe('/app/strict/confirm');
        const verified = await c.call(
          'verifyEmail',
          `${link!.searchParams.get('tokenId')}.${link!.searchParams.get('token')}`,
        );
        expect(verified.result).toMatchObject({ id: withEmail.id, type: 'password' });
        expect((await strict.storage.getUser('strict', withEmail.id))?.emails).toEqual([
          { address: 'verify-me@example.com', verified: true },
        ]);
        c.close();
      } finally {
        await strictServer.close();
        await opened.cleanup();
      }
    });
  });

  describe('with a real npm DDP client (simpleddp + simpleddp-plugin-login)', () => {
    it('logs in with a password and with a resume token, and logs out', async () => {
      const require = createRequire(import.meta.url);
      const SimpleDDP = require('simpleddp');
      const { simpleDDPLogin } = require('simpleddp-plugin-login');
      const setup = () => ({
        endpoint: url,
        SocketConstructor: WebSocket,
        reconnectInterval: 5000,
        autoReconnect: false,
      });
      const seed = await RawDdp.open(url);
      await seed.call('createUser', { username: `simple-${dialect}`, password: digestOf('simple password') });
      seed.close();

      const client = new SimpleDDP(setup(), [simpleDDPLogin]);
      await client.connect();
      const login = await client.login({
        user: { username: `simple-${dialect}` },
        password: digestOf('simple password'),
      });
      expect(login).toMatchObject({ id: expect.any(String), token: expect.any(String), type: 'password' });
      expect(client.userId).toBe(login.id);
      await client.logout();
      client.disconnect();

      const again = new SimpleDDP(setup(), [simpleDDPLogin]);
      await again.connect();
      const seedAgain = await RawDdp.open(url);
      const fresh = await seedAgain.call('login', {
        user: { username: `simple-${dialect}` },
        password: 'simple password',
      });
      seedAgain.close();
      const resumed = await again.login({ resume: fresh.result.token });
      expect(resumed).toMatchObject({ id: login.id, type: 'resume' });
      again.disconnect();
    });
  });
});

describe('DDP server heartbeat (Meteor: ping after 15 s of silence, close 15 s later)', () => {
  it('pings a silent client, keeps one that answers, and closes one that does not; never for pre1', async () => {
    const opened = await openTestStorage('sqlite');
    const gatehouse = await createGatehouse(
      {
        publicUrl: 'http://127.0.0.1:0',
        database: { url: 'sqlite::memory:' },
        keys: [await testSigningKey()],
        logLevel: 'silent',
        apps: { [APP]: { providers: { 'anon-user': {} } } },
      },
      { storage: opened.storage, ddpHeartbeat: { intervalMs: 300, timeoutMs: 1000 } },
    );
    const server = await serveNode(gatehouse, { port: 0 });
    try {
      const url = `${server.url.replace('http', 'ws')}/websocket`;
      const silent = await RawDdp.open(url);
      expect(await silent.next((m) => m.msg === 'ping', 2000)).toEqual({ msg: 'ping' });
      expect((await silent.closed).code).toBe(1000);

      const answering = await RawDdp.open(url);
      for (let i = 0; i < 3; i++) {
        await answering.next((m) => m.msg === 'ping', 2000);
        answering.send({ msg: 'pong' });
      }
      // Three heartbeats later it is still served.
      answering.send({ msg: 'ping', id: 'alive' });
      expect(await answering.next((m) => m.msg === 'pong' && m.id === 'alive')).toEqual({ msg: 'pong', id: 'alive' });
      answering.close();

      const old = await RawDdp.open(url, false);
      old.send({ msg: 'connect', version: 'pre1', support: ['pre1'] });
      await old.next((m) => m.msg === 'connected');
      await new Promise((r) => setTimeout(r, 800));
      expect(old.messages.filter((m) => m.msg === 'ping')).toEqual([]);
      old.close();
    } finally {
      await server.close();
      await opened.cleanup();
    }
  });
});
