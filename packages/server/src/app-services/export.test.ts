import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ExportError, parseAppServicesUsers, readAppServicesExport, settingsFromExport } from './export.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function exportDir(files: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-export-'));
  dirs.push(dir);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), typeof content === 'string' ? content : JSON.stringify(content));
  }
  return dir;
}

describe('reading an App Services export', () => {
  it('reads the older layout (one file per provider under auth_providers/, config.json)', () => {
    const dir = exportDir({
      'config.json': { app_id: 'old-abcde', name: 'old' },
      'auth_providers/local-userpass.json': {
        name: 'local-userpass',
        type: 'local-userpass',
        config: { autoConfirm: true, resetPasswordUrl: 'https://old.example.com/reset' },
      },
      'auth_providers/anon-user.json': { name: 'anon-user', type: 'anon-user', disabled: true },
    });
    const exported = readAppServicesExport(dir);
    expect(exported).toMatchObject({ appId: 'old-abcde', name: 'old', customUserData: null });
    expect(settingsFromExport(exported)).toEqual({
      providers: {
        'anon-user': { enabled: false },
        'local-userpass': { enabled: true, confirmation: 'auto', resetPasswordUrl: 'https://old.example.com/reset' },
      },
      oauthRedirectUris: [],
      notes: [],
    });
  });

  it('says what it cannot carry: functions, signing keys that are secrets, unknown providers', () => {
    const exported = readAppServicesExport(
      exportDir({
        'auth/providers.json': {
          'local-userpass': {
            name: 'local-userpass',
            type: 'local-userpass',
            config: {
              runConfirmationFunction: true,
              confirmationFunctionName: 'confirmIt',
              runResetFunction: true,
              resetFunctionName: 'resetIt',
            },
          },
          'custom-token': {
            name: 'custom-token',
            type: 'custom-token',
            config: { signingAlgorithm: 'HS256', audience: 'tasks', useJWKURI: false },
            secret_config: { signingKeys: ['jwtKey'] },
          },
          'oauth2-microsoft': { name: 'oauth2-microsoft', type: 'oauth2-microsoft' },
        },
      }),
    );
    const settings = settingsFromExport(exported);
    expect(settings.providers).toEqual({ 'local-userpass': { enabled: true, confirmation: 'email' } });
    expect(settings.notes.join('\n')).toContain("the confirmation function 'confirmIt'");
    expect(settings.notes.join('\n')).toContain("the reset function 'resetIt'");
    expect(settings.notes.join('\n')).toContain(
      'custom-token: not written — its signing key is an App Services secret, which exports leave out. Add apps.<id>.providers[\'custom-token\'] with secret (HS*) or publicKeys (RS*) and: {"enabled":true,"algorithms":["HS256"],"audience":"tasks"}',
    );
    expect(settings.notes.join('\n')).toContain('oauth2-microsoft: Gatehouse has no such provider');
  });

  it('refuses what is not an export, naming the file', () => {
    expect(() => readAppServicesExport(exportDir({ 'README.md': 'hi' }))).toThrow(ExportError);
    const broken = exportDir({ 'auth/providers.json': '{ "anon-user": ' });
    expect(() => readAppServicesExport(broken)).toThrow(/auth\/providers\.json/);
    const wrong = exportDir({ 'auth/providers.json': { 'anon-user': { name: 'anon-user' } } });
    expect(() => readAppServicesExport(wrong)).toThrow(/anon-user\.type/);
  });
});

describe('parsing a users export', () => {
  it('takes { users: [...] } too, keeps ids, and dates a user without creation_date now', () => {
    const { users, skipped } = parseAppServicesUsers(
      JSON.stringify({
        users: [
          {
            _id: '64B7F0C2A1B2C3D4E5F60001',
            identities: [{ id: 'sub-1', provider_type: 'custom-token', provider_id: 'x' }],
            data: { name: 'Kay', email: 'kay@example.com' },
          },
          { _id: 'nope', identities: [] },
          { _id: '64b7f0c2a1b2c3d4e5f60002', identities: [{ id: 'k', provider_type: 'oauth2-unknown' }] },
          'not a user',
        ],
      }),
      1234,
    );
    expect(users).toEqual([
      {
        record: 1,
        account: {
          id: '64B7F0C2A1B2C3D4E5F60001',
          profile: { name: 'Kay', email: 'kay@example.com' },
          identities: [{ providerType: 'custom-token', providerId: 'custom-token', subject: 'sub-1' }],
          disabled: false,
          createdAt: 1234,
        },
      },
    ]);
    expect(skipped.map((s) => [s.record, s.reason])).toEqual([
      [2, '_id must be 24 hexadecimal digits'],
      [3, 'no identity Gatehouse can log in'],
      [4, 'user: Invalid input: expected object, received string'],
    ]);
    expect(() => parseAppServicesUsers('{"nope": 1}', 0)).toThrow(/JSON array of users/);
  });
});
