import { objectId, randomSecret } from '@gatehouse-auth/core';
import type { OneTimeTokenRecord, UserRecord } from '@gatehouse-auth/storage';
import type { AppSettings, RequestInfo, ServerContext } from '../context.js';
import {
  type AccountEmailKind,
  accountEmail,
  BUILT_IN_LANGUAGES,
  type MailMessage,
  pickLanguage,
  requestedLanguages,
} from '../email/index.js';
import { secretHash } from '../tokens/hash.js';
import { passwordSettings } from './password-rules.js';

/**
 * The one-time tokens mailed in links — confirm an address, reset a password, enroll (choose a first
 * password) — and the mails that carry them. A token is stored only as its hash, names its app, user and
 * address, is voided by a newer one of the same purpose, and is spent exactly once.
 */

export type LinkPurpose = 'confirm-email' | 'reset-password' | 'enroll';

/** A token as a link carries it. */
export interface LinkToken {
  token: string;
  tokenId: string;
}

/** How long a link of each purpose works. */
function lifetimeOf(app: AppSettings, purpose: LinkPurpose): number {
  const settings = passwordSettings(app);
  if (purpose === 'reset-password') return settings.resetTokenLifetimeMs;
  if (purpose === 'enroll') return app.accounts.passwordEnrollTokenExpirationInDays * 86_400_000;
  return settings.confirmationTokenLifetimeMs;
}

/** A new single-use token for `user`, `purpose` and `email`; older unspent ones of that purpose stop working. */
export async function issueLinkToken(
  ctx: ServerContext,
  app: AppSettings,
  user: Pick<UserRecord, 'id'>,
  purpose: LinkPurpose,
  email: string,
): Promise<LinkToken> {
  const lifetimeMs = lifetimeOf(app, purpose);
  await ctx.storage.deleteOneTimeTokens(app.id, user.id, purpose);
  const now = ctx.now();
  const token = randomSecret();
  const tokenId = objectId(now);
  await ctx.storage.createOneTimeToken({
    id: tokenId,
    appId: app.id,
    userId: user.id,
    purpose,
    tokenHash: secretHash(token),
    data: { email },
    now,
    expiresAt: now + lifetimeMs,
  });
  return { token, tokenId };
}

/**
 * Spends a link token of one of `purposes` — only of this app: a token mailed by another app's flow is not
 * found here (it would otherwise be spent under this app's, possibly weaker, password policy). `null` when
 * the token is unknown, expired, spent, of another purpose or another app.
 */
export async function consumeLinkToken(
  ctx: ServerContext,
  app: AppSettings,
  purposes: readonly LinkPurpose[],
  input: LinkToken,
): Promise<(OneTimeTokenRecord & { userId: string; email: string | null }) | null> {
  if (
    typeof input.token !== 'string' ||
    typeof input.tokenId !== 'string' ||
    input.token.length > 256 ||
    input.tokenId.length > 64
  )
    return null;
  for (const purpose of purposes) {
    const record = await ctx.storage.consumeOneTimeToken({
      appId: app.id,
      id: input.tokenId,
      tokenHash: secretHash(input.token),
      purpose,
      now: ctx.now(),
    });
    if (record?.userId && record.appId === app.id)
      return {
        ...record,
        userId: record.userId,
        email: typeof record.data.email === 'string' ? record.data.email : null,
      };
  }
  return null;
}

/** Links name an address; after it left the user, the user's pending links go too (a new one is a mail away). */
export async function forgetLinks(ctx: ServerContext, app: AppSettings, userId: string): Promise<void> {
  for (const purpose of ['confirm-email', 'reset-password', 'enroll'] as const)
    await ctx.storage.deleteOneTimeTokens(app.id, userId, purpose);
}

/**
 * Makes a token and mails its link — to the app's own page, or to the URL the app configured — after the
 * response: the caller answers at once, so a known address (token written, mail sent) and an unknown one
 * (nothing to do) take the same time to answer. The mail is `kind` (default: the link's purpose) in the
 * request's language ({@link accountMail}).
 */
export function mailAccountLink(
  ctx: ServerContext,
  app: AppSettings,
  user: Pick<UserRecord, 'id'>,
  purpose: LinkPurpose,
  email: string,
  options: { kind?: AccountEmailKind; info?: RequestInfo | null } = {},
): void {
  passwordSettings(app);
  ctx.background('account mail', async () => {
    const link = linkUrl(ctx, app, purpose, await issueLinkToken(ctx, app, user, purpose, email));
    const mail = accountMail(app, options.kind ?? purpose, {
      to: email,
      link,
      expiresInMs: lifetimeOf(app, purpose),
      acceptLanguage: options.info?.acceptLanguage ?? null,
    });
    // The mail layer keeps it until it is delivered and applies the per-address hourly limit.
    await ctx.mail.send(app.id, mail, { kind: purpose });
  });
}

/**
 * An account mail of `app`: in the first language of `acceptLanguage` (or `lang`) that the app has a template
 * of this kind for or that is built in (`de-AT` → `de`; else English); the app's template
 * (`branding.emails.<lang>.<kind>`) when it has one for that language, else the built-in mail with the app's
 * logo and colour.
 */
export function accountMail(
  app: AppSettings,
  kind: AccountEmailKind,
  input: {
    to: string;
    link: string;
    expiresInMs: number;
    acceptLanguage?: string | null;
    lang?: string | null;
    code?: string;
  },
): MailMessage {
  const own = app.branding.emails as Record<string, Partial<Record<AccountEmailKind, EmailTemplateOf>>>;
  const available = new Set<string>(BUILT_IN_LANGUAGES);
  for (const [lang, templates] of Object.entries(own)) if (templates[kind]) available.add(lang);
  const lang = pickLanguage(requestedLanguages(input.acceptLanguage, input.lang), available);
  const template = own[lang]?.[kind];
  return accountEmail(kind, {
    appName: app.name,
    to: input.to,
    link: input.link,
    expiresIn: input.expiresInMs,
    lang,
    brand: {
      ...(app.branding.colors.primary ? { color: app.branding.colors.primary } : {}),
      ...(app.branding.logoUrl ? { logoUrl: app.branding.logoUrl } : {}),
    },
    ...(template ? { template } : {}),
    ...(input.code !== undefined ? { code: input.code } : {}),
  });
}

type EmailTemplateOf = { subject: string; text: string; html?: string };

/** The URL a link points to: the app's own page, or the page the app configured for links of that kind. */
export function linkUrl(ctx: ServerContext, app: AppSettings, purpose: LinkPurpose, link: LinkToken): string {
  const settings = passwordSettings(app);
  // Reset and enrollment links both open the password page (reset/`resetPasswordUrl`), which accepts either.
  const password = purpose !== 'confirm-email';
  const page = `${ctx.config.publicUrl}/app/${encodeURIComponent(app.id)}/${password ? 'reset' : 'confirm'}`;
  const url = new URL((password ? settings.resetPasswordUrl : settings.emailConfirmationUrl) ?? page);
  url.searchParams.set('token', link.token);
  url.searchParams.set('tokenId', link.tokenId);
  return url.toString();
}

/** How long a link of `purpose` works, in words (for mails). */
export function linkLifetimeText(app: AppSettings, purpose: LinkPurpose): string {
  return humanDuration(lifetimeOf(app, purpose));
}

/** `1800000` → `30 minutes`, `172800000` → `48 hours`. */
export function humanDuration(ms: number): string {
  const units: [number, string][] = [
    [86_400_000, 'day'],
    [3_600_000, 'hour'],
    [60_000, 'minute'],
  ];
  for (const [size, unit] of units) {
    if (ms % size === 0 && ms >= size && !(unit === 'day' && ms / size < 3)) {
      const n = ms / size;
      return `${n} ${unit}${n === 1 ? '' : 's'}`;
    }
  }
  const minutes = Math.max(1, Math.round(ms / 60_000));
  return `${minutes} minute${minutes === 1 ? '' : 's'}`;
}
