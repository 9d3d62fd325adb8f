/** What `passwordSignupFields` may be (Meteor's accounts-ui). */
export type PasswordSignupFields =
  | 'USERNAME_AND_EMAIL'
  | 'USERNAME_AND_OPTIONAL_EMAIL'
  | 'USERNAME_ONLY'
  | 'EMAIL_ONLY';

/** Meteor's `Accounts.ui.config` options. */
export interface LoginUiOptions {
  /** Which fields sign-up asks for and sign-in accepts. Default `EMAIL_ONLY`. */
  passwordSignupFields?: PasswordSignupFields | PasswordSignupFields[];
  /** Meteor's option for accounts-passwordless; checked, and otherwise unused: the code sign-in always asks for an email. */
  passwordlessSignupFields?: 'USERNAME_AND_EMAIL' | 'EMAIL_ONLY' | ('USERNAME_AND_EMAIL' | 'EMAIL_ONLY')[];
  /** OAuth scopes to ask each service for: `{ google: ['email', 'https://…/calendar'] }`. */
  requestPermissions?: Record<string, string[]>;
  /** Ask Google for a refresh token (`access_type=offline`): `{ google: true }`. */
  requestOfflineToken?: Record<string, boolean>;
  /** Make Google ask for consent again (`prompt=consent`): `{ google: true }`. */
  forceApprovalPrompt?: Record<string, boolean>;
}

const PASSWORD_FIELDS = ['USERNAME_AND_EMAIL', 'USERNAME_AND_OPTIONAL_EMAIL', 'USERNAME_ONLY', 'EMAIL_ONLY'];
const KEYS = [
  'passwordSignupFields',
  'passwordlessSignupFields',
  'requestPermissions',
  'requestOfflineToken',
  'forceApprovalPrompt',
];

interface Settings {
  passwordSignupFields?: PasswordSignupFields;
  passwordlessSignupFields?: string;
  requestPermissions: Record<string, string[]>;
  requestOfflineToken: Record<string, boolean>;
  forceApprovalPrompt: Record<string, boolean>;
}

let settings: Settings = { requestPermissions: {}, requestOfflineToken: {}, forceApprovalPrompt: {} };

/**
 * Meteor's `Accounts.ui.config`, with its checks: an unknown key, a bad `passwordSignupFields`, a
 * non-array `requestPermissions` entry, `requestOfflineToken` / `forceApprovalPrompt` for a service other than
 * Google, and setting any option twice all throw. The settings apply to every `<gatehouse-login-buttons>`,
 * sign-in and sign-up element on the page that has no attribute of its own for them.
 *
 * @example
 * ```ts
 * import { configureLoginUi } from '@gatehouse-auth/ui';
 *
 * configureLoginUi({
 *   passwordSignupFields: 'USERNAME_AND_OPTIONAL_EMAIL',
 *   requestPermissions: { google: ['email'] },
 *   requestOfflineToken: { google: true },
 * });
 * ```
 */
export function configureLoginUi(options: LoginUiOptions): void {
  for (const key of Object.keys(options)) if (!KEYS.includes(key)) fail(`Invalid option: ${key}`);
  const next: Settings = {
    ...settings,
    requestPermissions: { ...settings.requestPermissions },
    requestOfflineToken: { ...settings.requestOfflineToken },
    forceApprovalPrompt: { ...settings.forceApprovalPrompt },
  };
  for (const name of ['passwordSignupFields', 'passwordlessSignupFields'] as const) {
    const value = options[name];
    if (value === undefined) continue;
    const list = Array.isArray(value) ? value : [value];
    const allowed = name === 'passwordSignupFields' ? PASSWORD_FIELDS : ['USERNAME_AND_EMAIL', 'EMAIL_ONLY'];
    if (list.length !== 1 || !allowed.includes(list[0] as string))
      fail(`Invalid option for \`${name}\`: ${String(value)}`);
    if (settings[name]) fail(`Can't set \`${name}\` more than once`);
    (next as unknown as Record<string, unknown>)[name] = list[0];
  }
  for (const [service, scopes] of Object.entries(options.requestPermissions ?? {})) {
    if (settings.requestPermissions[service]) fail(`Can't set \`requestPermissions\` more than once for ${service}`);
    if (!Array.isArray(scopes)) fail('Value for `requestPermissions` must be an array');
    next.requestPermissions[service] = [...scopes];
  }
  for (const name of ['requestOfflineToken', 'forceApprovalPrompt'] as const) {
    for (const [service, value] of Object.entries(options[name] ?? {})) {
      if (service !== 'google') fail(`\`${name}\` only supported for Google login at the moment.`);
      if (settings[name][service] !== undefined) fail(`Can't set \`${name}\` more than once for ${service}`);
      next[name][service] = value;
    }
  }
  settings = next;
}

function fail(message: string): never {
  throw new Error(`Accounts.ui.config: ${message}`);
}

/** The settings in force (for the elements; also handy in tests). */
export function loginUiSettings(): Readonly<Settings> {
  return settings;
}

/** The sign-up / sign-in fields: the attribute if valid, else `configureLoginUi`'s, else `EMAIL_ONLY`. */
export function signupFields(attribute: string | null | undefined): PasswordSignupFields {
  const value = (attribute ?? '').toUpperCase();
  if (PASSWORD_FIELDS.includes(value)) return value as PasswordSignupFields;
  return settings.passwordSignupFields ?? 'EMAIL_ONLY';
}

/** Forgets every setting (tests, or a page that configures again from scratch). */
export function resetLoginUiConfig(): void {
  settings = { requestPermissions: {}, requestOfflineToken: {}, forceApprovalPrompt: {} };
}
