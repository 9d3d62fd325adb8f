import { afterEach, describe, expect, it } from 'vitest';
import { serveNode } from '../node/serve.js';
import { startTestGatehouse, type TestGatehouse } from '../testing/index.js';
import { RawDdp } from '../testing/raw-ddp.js';

const PASSWORD = 'correct horse battery';

/** The account mails in the request's language, with the app's templates, logo and colour. */
describe.each(['sqlite', 'postgres'] as const)('account mails per app and language (%s)', (dialect) => {
  let t: TestGatehouse;
  afterEach(() => t?.close());

  const start = (branding: Record<string, unknown> = {}) =>
    startTestGatehouse(dialect, {
      app: {
        name: 'Notes',
        providers: { 'local-userpass': { confirmation: 'email' } },
        branding,
      } as never,
    }).then((started) => (t = started));
  const register = (email: string, headers: Record<string, string> = {}) =>
    t.request('POST', t.appPath('/auth/providers/local-userpass/register'), {
      body: { email, password: PASSWORD },
      headers,
    });
  const mailTo = async (to: string) => {
    await t.mailLinks(to);
    const mail = t.gatehouse.outbox?.list().find((m) => m.to === to);
    if (!mail) throw new Error('no mail');
    return mail;
  };

  it('writes in the language of Accept-Language (de-AT → German), else English', async () => {
    await start();
    expect((await register('anna@example.com', { 'accept-language': 'de-AT, en;q=0.5' })).status).toBe(201);
    expect((await register('kenji@example.com', { 'accept-language': 'pt, ja;q=0.8' })).status).toBe(201);
    expect((await register('zed@example.com', { 'accept-language': 'xx-YY' })).status).toBe(201);
    const german = await mailTo('anna@example.com');
    expect(german.subject).toBe('Bestätigen Sie Ihre E-Mail-Adresse für Notes');
    expect(german.text).toContain('Der Link ist 48 Stunden gültig.');
    expect(german.html).toContain('<html lang="de">');
    expect((await mailTo('kenji@example.com')).subject).toBe('Notes のメールアドレスを確認してください');
    expect((await mailTo('zed@example.com')).subject).toBe('Confirm your email address for Notes');
  });

  it("uses the app's own template for that language and the built-in words for the others", async () => {
    await start({
      colors: { primary: '#7a2e0e' },
      logoUrl: 'https://cdn.example.com/notes.png',
      emails: {
        fr: {
          'confirm-email': {
            subject: 'Bienvenue sur {{appName}}',
            text: 'Bonjour {{email}} : {{link}} ({{expiresIn}})',
            html: '<p>Bonjour {{email}}</p><a href="{{link}}">Confirmer</a>',
          },
        },
        'pt-BR': { 'confirm-email': { subject: 'Confirme {{appName}}', text: 'Abra {{link}}' } },
      },
    });
    await register('claire@example.com', { 'accept-language': 'fr-CA' });
    await register('joao@example.com', { 'accept-language': 'pt-BR' });
    await register('ana@example.com', { 'accept-language': 'es' });
    const french = await mailTo('claire@example.com');
    expect(french.subject).toBe('Bienvenue sur Notes');
    expect(french.text).toMatch(
      /^Bonjour claire@example\.com : http:\/\/gatehouse\.test\/app\/[^/]+\/confirm\?token=\S+ \(48 heures\)$/,
    );
    expect(french.html).toMatch(
      /^<p>Bonjour claire@example\.com<\/p><a href="http:\/\/gatehouse\.test\/app\/.+&amp;tokenId=/,
    );
    expect((await mailTo('joao@example.com')).subject).toBe('Confirme Notes');
    const spanish = await mailTo('ana@example.com');
    expect(spanish.subject).toBe('Confirma tu dirección de correo para Notes');
    expect(spanish.html).toContain('background:#7a2e0e');
    expect(spanish.html).toContain('<img src="https://cdn.example.com/notes.png"');
  });

  it("over DDP, writes in the language of the WebSocket upgrade's Accept-Language", async () => {
    await start();
    expect((await register('mika@example.com')).status).toBe(201);
    const server = await serveNode(t.gatehouse, { host: '127.0.0.1', port: 0 });
    try {
      const ddp = await RawDdp.open(`${server.url.replace('http', 'ws')}/websocket`, true, {
        'accept-language': 'es-MX,es;q=0.9',
      });
      expect((await ddp.call('forgotPassword', { email: 'mika@example.com' })).error).toBeUndefined();
      ddp.close();
      for (
        let i = 0;
        i < 200 && (t.gatehouse.outbox?.list().filter((m) => m.to === 'mika@example.com').length ?? 0) < 2;
        i++
      )
        await new Promise((r) => setTimeout(r, 10));
      const [reset] = t.gatehouse.outbox?.list().filter((m) => m.to === 'mika@example.com') ?? [];
      expect(reset?.subject).toBe('Restablece tu contraseña de Notes');
    } finally {
      await server.server.close();
    }
  });

  it('refuses a template with an unknown variable or without the link, and a colour that is not hex', async () => {
    await expect(
      start({ emails: { en: { 'reset-password': { subject: 'x', text: '{{token}} {{link}}' } } } }),
    ).rejects.toThrow(/unknown variable \{\{token\}\}/);
    await expect(start({ emails: { en: { 'reset-password': { subject: 'x', text: 'no link' } } } })).rejects.toThrow(
      /must contain \{\{link\}\}/,
    );
    await expect(start({ colors: { primary: 'red;background:url(x)' } })).rejects.toThrow(/hex colour/);
  });
});
