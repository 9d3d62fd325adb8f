import { parseDuration } from '@gatehouse-auth/core';
import { z } from 'zod';
import { TEMPLATE_VARIABLES, unknownTemplateVariables } from '../email/templates.js';
import { ACCOUNT_EMAIL_KINDS } from '../email/wordings.js';
import { isAddressOrRange } from '../net/client-address.js';
import { serviceNamed } from '../oauth/services/index.js';
import { decodeKey } from '../oauth/vault.js';
import { apiKeyConfig } from '../providers/api-key/config.js';
import { customFunctionConfig } from '../providers/custom-function/config.js';
import { customTokenConfig } from '../providers/custom-token/config.js';
import { appleConfig } from '../providers/oauth2-apple/config.js';
import { facebookConfig } from '../providers/oauth2-facebook/config.js';
import { googleConfig } from '../providers/oauth2-google/config.js';
import { passkeyConfig } from '../providers/passkey/config.js';

/**
 * The configuration file's schema: what `gatehouse.config.json` (or the default export of a `.js`/`.mjs`
 * config module) may contain. Validated once at start-up; every unknown key is an error, so a typo never
 * silently falls back to a default. Defaults live here and nowhere else.
 */

const duration = (fallback: string) =>
  z
    .string()
    .refine((v) => parseDuration(v) !== null, { message: "expected a duration such as '30m', '48h' or '60d'" })
    .default(fallback);

const signingKey = z
  .object({
    /** Key id, put in the JWT header (`kid`) and the JWKS. */
    kid: z.string().min(1).max(128),
    /** JWS algorithm. ES256 (default) is the most widely verified. */
    alg: z.enum(['ES256', 'EdDSA', 'RS256']).default('ES256'),
    /** The private key as a JWK (`gatehouse init` writes one). */
    privateJwk: z.record(z.string(), z.unknown()),
  })
  .strict();

const localUserpass = z
  .object({
    enabled: z.boolean().default(true),
    /**
     * How new accounts are confirmed: `auto` (immediately), `email` (a link is mailed), or `function` (the
     * config module's function named by `confirmationFunction` decides). App Services: `autoConfirm`,
     * `runConfirmationFunction`.
     */
    confirmation: z.enum(['auto', 'email', 'function']).default('email'),
    confirmationFunction: z.string().min(1).optional(),
    /** `email` mails a reset link; `function` runs `resetFunction` (App Services `runResetFunction`). */
    reset: z.enum(['email', 'function']).default('email'),
    resetFunction: z.string().min(1).optional(),
    /** Where confirmation links point; default: Gatehouse's own page `/app/<id>/confirm`. */
    emailConfirmationUrl: z.url({ protocol: /^https?$/ }).optional(),
    /** Where reset links point; default: Gatehouse's own page `/app/<id>/reset`. */
    resetPasswordUrl: z.url({ protocol: /^https?$/ }).optional(),
    confirmationTokenLifetime: duration('48h'),
    resetTokenLifetime: duration('30m'),
    /** Shortest accepted password (code points). ASVS asks ≥ 8; NIST ≥ 15 for single-factor. */
    minPasswordLength: z.number().int().min(1).max(256).default(8),
    /** Longest accepted password; never truncated. */
    maxPasswordLength: z.number().int().min(64).max(1024).default(256),
    /** Refuse passwords found in the common-password list. */
    rejectCommonPasswords: z.boolean().default(true),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (v.confirmation === 'function' && !v.confirmationFunction)
      ctx.addIssue({
        code: 'custom',
        path: ['confirmationFunction'],
        message: "required when confirmation is 'function'",
      });
    if (v.reset === 'function' && !v.resetFunction)
      ctx.addIssue({ code: 'custom', path: ['resetFunction'], message: "required when reset is 'function'" });
    if (v.minPasswordLength > v.maxPasswordLength)
      ctx.addIssue({ code: 'custom', path: ['minPasswordLength'], message: 'must not exceed maxPasswordLength' });
  });

const MAIL_DELIVERY_DEFAULTS = { firstRetry: '30s', maxRetry: '15m', giveUpAfter: '24h', pollInterval: '5s' };

/** How the mail outbox delivers: retries with doubling waits, given up after a while (see docs/operations). */
const mailDelivery = z
  .object({
    /** Wait before the second attempt; each further wait doubles, up to `maxRetry`. */
    firstRetry: duration(MAIL_DELIVERY_DEFAULTS.firstRetry),
    maxRetry: duration(MAIL_DELIVERY_DEFAULTS.maxRetry),
    /** A mail not delivered this long after it was written is given up (and recorded as failed). */
    giveUpAfter: duration(MAIL_DELIVERY_DEFAULTS.giveUpAfter),
    /** How often each instance looks for due mail (its own new mail goes out at once). */
    pollInterval: duration(MAIL_DELIVERY_DEFAULTS.pollInterval),
  })
  .strict()
  .default(MAIL_DELIVERY_DEFAULTS);

const anonUser = z.object({ enabled: z.boolean().default(true) }).strict();

const hookFunction = z.custom<(...args: never[]) => unknown>((v) => typeof v === 'function', 'expected a function');
const hookList = z.union([hookFunction, z.array(hookFunction)]);

/**
 * A page of the app that realm-web's OAuth redirect flow may return to: an absolute http(s) URL
 * without a fragment (the result is put there). Matched exactly, character for character (RFC 9700 §4.1).
 */
const oauthRedirectUri = z
  .url({ protocol: /^https?$/ })
  .max(2048)
  .refine((v) => !v.includes('#'), 'must not contain a fragment (#): the login result is put there');

/**
 * External services (Meteor's `ServiceConfiguration`; docs/external-services.md), by name: each with the
 * service's own property names (`clientId` | `appId` | `consumerKey`, `secret`, `loginStyle`, …), checked by
 * that service's schema; an unknown name must say `type: 'oidc'` (a generic OpenID Connect service).
 */
const services = z.record(z.string(), z.unknown()).transform((value, ctx) => {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [name, raw] of Object.entries(value)) {
    const service = serviceNamed(name, raw);
    if (!service) {
      ctx.addIssue({
        code: 'custom',
        path: [name],
        message:
          "unknown service: use google, facebook, github, twitter, meetup, weibo, meteor-developer or apple, or set type: 'oidc' with an issuer",
      });
      continue;
    }
    const parsed = service.settings.safeParse(raw);
    if (!parsed.success) {
      for (const issue of parsed.error.issues)
        ctx.addIssue({ code: 'custom', path: [name, ...issue.path.map(String)], message: issue.message });
      continue;
    }
    out[name] = parsed.data as Record<string, unknown>;
  }
  return out;
});

/** A language tag: `en`, `de`, `pt-BR`. */
const languageTag = z.string().regex(/^[a-z]{2,3}(-[A-Za-z0-9]{1,8})*$/, 'expected a language tag such as en or pt-BR');

/** A CSS colour as hex (`#1f5fbf`, `#fff`): nothing else reaches the pages' style sheet. */
const hexColor = z
  .string()
  .regex(/^#(?:[0-9a-fA-F]{3,4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$/, 'expected a hex colour such as #1f5fbf');

const templatePart = (name: string, needsLink: boolean) =>
  z
    .string()
    .min(1)
    .max(100_000)
    .superRefine((value, ctx) => {
      const unknown = unknownTemplateVariables(value);
      if (unknown.length > 0)
        ctx.addIssue({
          code: 'custom',
          message: `unknown variable {{${unknown[0]}}} in ${name}; known: ${TEMPLATE_VARIABLES.join(', ')}`,
        });
      if (needsLink && !/\{\{\s*link\s*\}\}/.test(value))
        ctx.addIssue({ code: 'custom', message: `${name} must contain {{link}}` });
    });

/** An app's own account mail: `{{appName}}`, `{{email}}`, `{{link}}`, `{{expiresIn}}` are filled in. */
const emailTemplate = z
  .object({
    subject: templatePart('subject', false).refine((v) => v.length <= 300, 'at most 300 characters'),
    text: templatePart('text', true),
    html: templatePart('html', true).optional(),
  })
  .strict();

/** The hosted pages' and account mails' look and words for one app (docs/ui.md, "Hosted pages"). */
const branding = z
  .object({
    /** The app's logo, shown above the hosted pages' forms and in the mails (an https URL, or http). */
    logoUrl: z
      .url({ protocol: /^https?$/ })
      .max(2048)
      .optional(),
    /** The app's own page: the hosted pages' "Back to <app>" link. */
    appUrl: z
      .url({ protocol: /^https?$/ })
      .max(2048)
      .optional(),
    /** Colours of the hosted pages (the login UI's `--gatehouse-color-*` properties) and the mails' button. */
    colors: z
      .object({
        primary: hexColor.optional(),
        onPrimary: hexColor.optional(),
        text: hexColor.optional(),
        muted: hexColor.optional(),
        background: hexColor.optional(),
        border: hexColor.optional(),
        error: hexColor.optional(),
        success: hexColor.optional(),
        focus: hexColor.optional(),
        /** The page around the form. */
        page: hexColor.optional(),
      })
      .strict()
      .default({}),
    /** The login UI's texts for this app, by language then key (keys of packages/ui/src/i18n/en.ts). */
    messages: z.record(languageTag, z.record(z.string().min(1).max(100), z.string().max(2000))).default({}),
    /** The app's own account mails, by language then kind; the built-in mail where none is given. */
    emails: z
      .record(languageTag, z.partialRecord(z.enum(ACCOUNT_EMAIL_KINDS as [string, ...string[]]), emailTemplate))
      .default({}),
  })
  .strict();

const app = z
  .object({
    /** Shown in emails and pages. */
    name: z.string().min(1).max(200).optional(),
    /**
     * Meteor's ROOT_URL for this app: where the app's `/_oauth/<service>` callbacks are reached (routed to
     * Gatehouse), and under which a redirect login may return to any page. Default: Gatehouse's own URL
     * (`<publicUrl>` for the first app, `<publicUrl>/app/<id>` for the others).
     */
    rootUrl: z
      .url({ protocol: /^https?$/ })
      .refine((v) => !/[?#]/.test(v), 'must not contain a query or fragment')
      .transform((v) => v.replace(/\/+$/, ''))
      .optional(),
    /** External services users may log in with (Meteor's `loginWith<Service>`, docs/external-services.md). */
    services: services.default({}),
    accessTokenLifetime: duration('30m'),
    refreshTokenLifetime: duration('60d'),
    /** Anonymous sessions: App Services kept them practically forever; we default to a year. */
    anonymousRefreshTokenLifetime: duration('365d'),
    /**
     * The app's pages that the OAuth redirect flow (realm-web `Credentials.google({ redirectUrl })`) and the
     * hosted sign-in page (`/app/<id>/login?redirect=…`) may send the login result to, matched exactly; any
     * other `redirect` is refused (a 400; the hosted page shows an error and never redirects).
     */
    oauthRedirectUris: z.array(oauthRedirectUri).max(100).default([]),
    /** The hosted pages' and account mails' logo, colours and words (docs/ui.md, "Hosted pages"). */
    branding: branding.default({ colors: {}, messages: {}, emails: {} }),
    /**
     * Hide which addresses have accounts, everywhere: registration with a taken address answers as for a new
     * one (and mails the address's owner instead), resend and reset requests answer the same for every
     * address, DDP `createUser` of a taken name gives the ambiguous message. Off by default: App Services and
     * Meteor both reveal it at registration, so hiding it at the other endpoints alone protects nothing. On,
     * a person who mistypes nothing but forgot they had an account learns it from their mailbox, not the form.
     */
    preventAccountEnumeration: z.boolean().default(false),
    /** Meteor's `Accounts.config` for this app. */
    accounts: z
      .object({
        /** Refuse sign-ups from clients (HTTP register and DDP createUser): 403 `Signups forbidden`. */
        forbidClientAccountCreation: z.boolean().default(false),
        /** A domain (`example.com`) that a new account's email must have, or a function(email) → boolean. */
        restrictCreationByEmailDomain: z
          .union([z.string().regex(/^[^@\s]+\.[^@\s]+$/, 'expected a domain such as example.com'), hookFunction])
          .optional(),
        /** Lifetime of DDP login (resume) tokens, in days (Meteor's default 90); `null`: ~100 years, as Meteor. */
        loginExpirationInDays: z
          .number()
          .positive()
          .max(36_500)
          .nullable()
          .default(90)
          .transform((days) => days ?? 36_500),
        /** Meteor ≥ 3.0.3: credential errors over DDP say only "Something went wrong…". */
        ambiguousErrorMessages: z.boolean().default(true),
        /** Mail a verification link when a client creates an account with an email over DDP. */
        sendVerificationEmail: z.boolean().default(false),
        /** Let users edit their own `profile` over DDP (`Meteor.users.deny({ update: () => true })` when false). */
        allowProfileUpdates: z.boolean().default(true),
        /**
         * Lifetime of password-reset links, in days (Meteor's default 3). When unset, local-userpass's
         * `resetTokenLifetime` (App Services' 30 minutes) applies.
         */
        passwordResetTokenExpirationInDays: z.number().positive().max(365).optional(),
        /** Lifetime of enrollment links (an account made for someone, who sets the first password), in days. */
        passwordEnrollTokenExpirationInDays: z.number().positive().max(365).default(30),
        /**
         * Passwordless sign-in (Meteor's `accounts-passwordless`, and the `email-code` provider over HTTP): a
         * code and a link mailed to the user's address. Off unless set.
         */
        passwordless: z.boolean().default(false),
        /** How long a mailed login code works, in hours (Meteor's `loginTokenExpirationHours`, default 1). */
        loginTokenExpirationHours: z.number().positive().max(168).default(1),
        /** Length of a login code, in hexadecimal characters (Meteor's `tokenSequenceLength`, default 6). */
        tokenSequenceLength: z.number().int().min(6).max(32).default(6),
        /**
         * The page a login link opens, given `loginToken` and `selector` query parameters (Meteor's
         * `Accounts.urls.loginToken`, e.g. `https://app.example.com/`); default: the app's hosted sign-in page.
         */
        loginTokenUrl: z.url({ protocol: /^https?$/ }).optional(),
        /**
         * Fields of the user that hooks see (Meteor's `defaultFieldSelector`): `{ profile: 0 }` hides the
         * profile; `{ username: 1 }` shows only the username (and `_id`). All 1s or all 0s.
         */
        defaultFieldSelector: z
          .partialRecord(z.enum(['username', 'emails', 'profile', 'createdAt']), z.union([z.literal(0), z.literal(1)]))
          .refine(
            (s) => new Set(Object.values(s)).size <= 1,
            'use only 1s (fields to show) or only 0s (fields to hide)',
          )
          .optional(),
      })
      .strict()
      .default({
        forbidClientAccountCreation: false,
        loginExpirationInDays: 90,
        ambiguousErrorMessages: true,
        sendVerificationEmail: false,
        allowProfileUpdates: true,
        passwordEnrollTokenExpirationInDays: 30,
        passwordless: false,
        loginTokenExpirationHours: 1,
        tokenSequenceLength: 6,
      }),
    providers: z
      .object({
        'anon-user': anonUser.optional(),
        'local-userpass': localUserpass.optional(),
        'api-key': apiKeyConfig.optional(),
        'custom-token': customTokenConfig.optional(),
        'custom-function': customFunctionConfig.optional(),
        'oauth2-google': googleConfig.optional(),
        'oauth2-facebook': facebookConfig.optional(),
        'oauth2-apple': appleConfig.optional(),
        passkey: passkeyConfig.optional(),
      })
      .strict()
      .default({}),
  })
  .strict();

/** An app id as App Services made them (`myapp-abcde`): letters, digits, `-`, `_`, `.`. */
const appId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'app ids use letters, digits, ".", "_" and "-"');

export const configSchema = z
  .object({
    /** The JSON Schema the file follows (`gatehouse init` writes it), for editors; ignored by the server. */
    $schema: z.string().optional(),
    /** Public origin clients reach, without a trailing slash, e.g. `https://auth.example.com`. */
    publicUrl: z.url({ protocol: /^https?$/ }).transform((v) => v.replace(/\/+$/, '')),
    listen: z
      .object({
        host: z.string().min(1).default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(8080),
        /**
         * Processes `gatehouse serve` runs, sharing the port: a number, or `auto` (one per CPU core). They share
         * one password-hashing pool; `sqlite::memory:` always runs one.
         */
        workers: z.union([z.number().int().min(1).max(64), z.literal('auto')]).default('auto'),
      })
      .strict()
      .default({ host: '127.0.0.1', port: 8080, workers: 'auto' }),
    database: z
      .object({
        /** `sqlite:<path>`, `sqlite::memory:` or `postgres://…`. */
        url: z.string().min(1),
        /** PostgreSQL pool size. */
        poolSize: z.number().int().min(1).max(200).default(10),
        /** PostgreSQL: longest wait for a new connection to be established. */
        connectTimeout: duration('5s'),
        /** PostgreSQL: longest wait for a pooled connection (a free one, or a new one); then 503. */
        acquireTimeout: duration('5s'),
        /** PostgreSQL: longest run of one statement (`statement_timeout`; a silent server is given up shortly after). */
        queryTimeout: duration('10s'),
        /** How long `/readyz` waits for the database before it answers 503. */
        readyTimeout: duration('2s'),
      })
      .strict(),
    /**
     * Redis shared by every instance behind a load balancer: rate-limit counters, and instant news of ended
     * sessions and changed users for DDP connections on other instances. Without it each process counts alone.
     */
    redis: z
      .object({
        url: z.string().regex(/^rediss?:\/\/\S+$/, 'expected redis://… or rediss://…'),
        /** Prefix of every key and channel, so deployments (or test runs) can share one Redis. */
        keyPrefix: z
          .string()
          .regex(/^[\w:.-]{1,100}$/, 'letters, digits, ":", ".", "_" and "-", at most 100')
          .default('gatehouse:'),
        /**
         * Longest wait for one Redis round trip (a rate-limit check or count); past it the request goes on with
         * the per-process counters.
         */
        commandTimeout: duration('250ms'),
        /** Failed round trips in a row after which Gatehouse stops asking Redis for `retryAfter`. */
        breakerFailures: z.number().int().min(1).max(1000).default(3),
        /** How long the breaker stays open before one round trip tries Redis again. */
        breakerRetryAfter: duration('5s'),
      })
      .strict()
      .optional(),
    /**
     * Keys that encrypt what external services hand over (access and refresh tokens) and stored client secrets,
     * AES-256-GCM: the first encrypts, all decrypt (rotate by putting a new key first). Each key is 32 random
     * bytes in base64url (`gatehouse init` writes one). Required once any app configures `services`.
     */
    encryptionKeys: z
      .array(
        z
          .object({
            kid: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, "_" and "-", at most 64'),
            key: z.string().refine((k) => {
              try {
                decodeKey(k);
                return true;
              } catch {
                return false;
              }
            }, 'expected 32 random bytes in base64url (43 characters)'),
          })
          .strict(),
      )
      .max(20)
      .refine((keys) => new Set(keys.map((k) => k.kid)).size === keys.length, 'key ids must differ')
      .default([]),
    /** Signing keys: the first signs, all verify (keep a rotated-out key here until its tokens expired). */
    keys: z.array(signingKey).min(1, 'at least one signing key is required'),
    email: z
      .discriminatedUnion('transport', [
        z
          .object({
            transport: z.literal('smtp'),
            url: z.string().regex(/^smtps?:\/\//, 'expected smtp:// or smtps://'),
            from: z.string().min(3),
            delivery: mailDelivery,
          })
          .strict(),
        z
          .object({
            transport: z.literal('outbox'),
            from: z.string().min(3).default('Gatehouse <no-reply@localhost>'),
            delivery: mailDelivery,
          })
          .strict(),
      ])
      .default({ transport: 'outbox', from: 'Gatehouse <no-reply@localhost>', delivery: MAIL_DELIVERY_DEFAULTS }),
    /** DDP (Meteor) WebSocket connections. */
    ddp: z
      .object({
        /** A socket that has not sent DDP `connect` by then is closed. */
        connectTimeout: duration('10s'),
        /** A `pre1` connection (no heartbeat in that DDP version) silent for this long is closed. */
        pre1IdleTimeout: duration('5m'),
        /** Open DDP connections per process; more are refused with close code 1013 (try again later). */
        maxConnections: z.number().int().min(1).max(1_000_000).default(10_000),
        /** Open DDP connections per client address (IPv6: per /64); more are refused with 1013. */
        maxConnectionsPerAddress: z.number().int().min(1).max(1_000_000).default(100),
      })
      .strict()
      .default({ connectTimeout: '10s', pre1IdleTimeout: '5m', maxConnections: 10_000, maxConnectionsPerAddress: 100 }),
    passwordHashing: z
      .object({
        memoryCost: z.number().int().min(1024).max(4_194_304).default(19456),
        timeCost: z.number().int().min(1).max(20).default(2),
        parallelism: z.number().int().min(1).max(16).default(1),
        /** Hashing threads; default: the number of CPU cores. */
        maxThreads: z.number().int().min(1).max(64).optional(),
        /** Password checks allowed to wait; more are refused with 503 at once. */
        maxQueue: z.number().int().min(1).max(100_000).default(256),
      })
      .strict()
      .default({ memoryCost: 19456, timeCost: 2, parallelism: 1, maxQueue: 256 }),
    limits: z
      .object({
        /** Largest request body accepted, in bytes. */
        maxBodyBytes: z
          .number()
          .int()
          .min(1024)
          .max(10 * 1024 * 1024)
          .default(65536),
      })
      .strict()
      .default({ maxBodyBytes: 65536 }),
    rateLimits: z
      .object({
        /** Failed logins allowed for one account from one client address within `window`. */
        failedLoginsPerAccountAndAddress: z.number().int().min(1).default(10),
        /**
         * Failed logins allowed for one account from all addresses within `window` (NIST: ≤ 100). Kept well
         * above the per-address limit so a guesser elsewhere cannot lock the owner out for long.
         */
        failedLoginsPerAccount: z.number().int().min(1).default(100),
        /** Failed logins allowed from one client address (IPv6: per /64) within `window`. */
        failedLoginsPerAddress: z.number().int().min(1).default(50),
        /** New accounts (sign-ups and anonymous logins) one client address may make within `window`. */
        newAccountsPerAddress: z.number().int().min(1).default(100),
        window: duration('15m'),
      })
      .strict()
      .default({
        failedLoginsPerAccountAndAddress: 10,
        failedLoginsPerAccount: 100,
        failedLoginsPerAddress: 50,
        newAccountsPerAddress: 100,
        window: '15m',
      }),
    /** Origins allowed by CORS; `["*"]` allows any (tokens travel in headers, not cookies). */
    corsOrigins: z.array(z.string().min(1)).default(['*']),
    /**
     * The proxies in front of Gatehouse, for the client address of every request and DDP connection (rate
     * limits, audit log, hooks): `false` (none: the socket's peer), `true` or a number of hops (the rightmost,
     * or the n-th from the right, `X-Forwarded-For` entry), or a list of the proxies' addresses and CIDR ranges.
     * Never the leftmost entry, which the client writes itself.
     */
    trustProxy: z
      .union([
        z.boolean(),
        z.number().int().min(0).max(16),
        z
          .array(z.string().refine(isAddressOrRange, 'expected an IP address or a CIDR range such as 10.0.0.0/8'))
          .min(1)
          .max(256),
      ])
      .default(false),
    /** Development extras: the outbox page and the demo page. Never on in production. */
    dangerouslyEnableDevPages: z.boolean().default(false),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /**
     * Prometheus metrics at `/metrics` on a listener of their own (`host`:`port`), never on the public one, so a
     * proxy in front of Gatehouse cannot expose them by accident. Off by default.
     */
    metrics: z
      .object({
        enabled: z.boolean().default(false),
        host: z.string().min(1).default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(9464),
      })
      .strict()
      .default({ enabled: false, host: '127.0.0.1', port: 9464 }),
    /**
     * The audit log (logins, failures, credential and session changes, admin actions): events older than
     * `retentionDays` are deleted by the hourly housekeeping. `0` keeps them forever.
     */
    audit: z
      .object({ retentionDays: z.number().int().min(0).max(36_500).default(365) })
      .strict()
      .default({ retentionDays: 365 }),
    /**
     * The admin API (`/api/admin/v1`, always on; it answers only admin keys made with `gatehouse admin-keys`)
     * and the admin console page at `/admin` — off unless `console: true`.
     */
    admin: z
      .object({ console: z.boolean().default(false) })
      .strict()
      .default({ console: false }),
    apps: z.record(appId, app).refine((v) => Object.keys(v).length > 0, 'at least one app is required'),
    /** Functions referenced by name (confirmation, reset). Only a `.js`/`.mjs` config module can carry them. */
    functions: z
      .record(
        z.string(),
        z.custom<(...args: never[]) => unknown>((v) => typeof v === 'function', 'expected a function'),
      )
      .default({}),
    /**
     * Meteor-style hooks (only in a config module): `onCreateUser(options, user)`, `validateNewUser(user)`,
     * `validateLoginAttempt(attempt)`, `onLogin(attempt)`, `onLoginFailure(attempt)`, `onLogout({ user })`.
     * Each may be one function or a list (Meteor lets you register several).
     */
    hooks: z
      .object({
        onCreateUser: hookFunction.optional(),
        validateNewUser: hookList.optional(),
        validateLoginAttempt: hookList.optional(),
        onLogin: hookList.optional(),
        onLoginFailure: hookList.optional(),
        onLogout: hookList.optional(),
        /** `customData(user)` → the object access tokens carry as `user_data` (at login and every refresh). */
        customData: hookFunction.optional(),
      })
      .strict()
      .default({}),
  })
  .strict()
  .superRefine((config, ctx) => {
    const withServices = Object.entries(config.apps).find(([, a]) => Object.keys(a.services).length > 0);
    if (withServices && config.encryptionKeys.length === 0)
      ctx.addIssue({
        code: 'custom',
        path: ['encryptionKeys'],
        message: `required: app '${withServices[0]}' configures external services, whose tokens are kept encrypted`,
      });
    for (const [id, a] of Object.entries(config.apps)) {
      const cf = a.providers['custom-function'];
      if (cf?.enabled && !(cf.function in config.functions)) {
        ctx.addIssue({
          code: 'custom',
          path: ['apps', id, 'providers', 'custom-function', 'function'],
          message: `no function named '${cf.function}' in the config module`,
        });
      }
      const lp = a.providers['local-userpass'];
      for (const key of ['confirmationFunction', 'resetFunction'] as const) {
        const name = lp?.[key];
        const used = key === 'confirmationFunction' ? lp?.confirmation === 'function' : lp?.reset === 'function';
        if (used && name && !(name in config.functions))
          ctx.addIssue({
            code: 'custom',
            path: ['apps', id, 'providers', 'local-userpass', key],
            message: `no function named '${name}' in the config module`,
          });
      }
      // Passkeys are bound to a host name: an IP address is no valid rp id, so one must be named.
      const pk = a.providers.passkey;
      if (pk?.enabled && pk.rpId === undefined && /^(\[.*\]|[\d.]+)$/.test(new URL(config.publicUrl).hostname))
        ctx.addIssue({
          code: 'custom',
          path: ['apps', id, 'providers', 'passkey', 'rpId'],
          message: 'required when publicUrl is an IP address (passkeys need a host name, e.g. localhost)',
        });
    }
  });

/** The configuration as written by people (durations as text, defaults optional). */
export type GatehouseConfigInput = z.input<typeof configSchema>;
/** The configuration after validation, defaults applied. */
export type GatehouseConfigParsed = z.output<typeof configSchema>;
