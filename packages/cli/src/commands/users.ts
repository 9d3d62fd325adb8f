import { isGatehouseError } from '@gatehouse-auth/core';
import {
  type AdminAccounts,
  createGatehouse,
  createLogger,
  type Gatehouse,
  type ServerAccounts,
} from '@gatehouse-auth/server';
import { CliError, defineCommand, EXIT_OK, type Io, UsageError } from '../command.js';
import { loadServerConfig, locateConfigFile, prepareSqliteDirectory } from '../config-file.js';

interface ActionInput {
  gatehouse: Gatehouse;
  accounts: ServerAccounts;
  /** The operator's account administration: the same core functions the admin API calls. */
  admin: AdminAccounts;
  appId: string;
  /** The positional arguments after the action. */
  args: string[];
  values: {
    verified?: boolean | undefined;
    'keep-sessions'?: boolean | undefined;
    'password-stdin'?: boolean | undefined;
  };
  io: Io;
  password(): Promise<string>;
}

interface Action {
  /** Positional arguments after the action, for help and for counting. */
  usage: string;
  /** How many positional arguments it takes: [min, max]. */
  arity: [number, number];
  run(input: ActionInput): Promise<string>;
}

/**
 * The actions of `gatehouse users`: looking at a user and the server-side account changes of Meteor's
 * `Accounts.*` — each through `gatehouse.accounts(appId)`, so the CLI and code
 * share one implementation. Each returns the line to print.
 */
const ACTIONS: Record<string, Action> = {
  show: {
    usage: '<userId>',
    arity: [1, 1],
    async run({ gatehouse, accounts, admin, appId, args: [userId] }) {
      const user = await admin.getUser(userId as string);
      const { id, username, type, disabled, profile, customData, emails, identities, createdAt } = user;
      const shown = {
        id,
        username,
        type,
        disabled,
        createdAt: new Date(createdAt).toISOString(),
        emails,
        identities: identities.map((i) => ({ provider: i.providerType, id: i.id })),
        profile,
        customData,
        twoFactor: await accounts.twoFactorStatus(user.id),
        // Names and states only: a key's secret was shown once at creation and only its hash is stored.
        apiKeys: (await admin.listApiKeys(user.id)).map((k) => ({
          id: k.id,
          name: k.name,
          kind: k.kind,
          disabled: k.disabled,
          lastUsedAt: k.lastUsedAt === null ? null : new Date(k.lastUsedAt).toISOString(),
        })),
        passkeys: (await gatehouse.storage.listPasskeys(appId, user.id)).map((p) => ({ id: p.id, name: p.name })),
      };
      return JSON.stringify(shown, null, 2);
    },
  },
  find: {
    usage: '<email or username>',
    arity: [1, 1],
    async run({ gatehouse, appId, args: [name] }) {
      // An email in any letter case; a username exactly, else case-insensitively when only one user matches.
      const found = (name as string).includes('@')
        ? [await gatehouse.storage.findUserByEmail(appId, name as string)].filter((u) => u !== null)
        : await gatehouse.storage.findUsersByUsername(appId, name as string);
      if (found.length === 0) throw new CliError(`no user '${name}' in app '${appId}'`);
      if (found.length > 1)
        throw new CliError(`'${name}' matches more than one user in another letter case: use the exact case`);
      const [user] = found as [NonNullable<(typeof found)[number]>];
      return `${user.id}  ${user.username ?? '-'}  ${user.emails.map((e) => e.address).join(', ') || '-'}`;
    },
  },
  'set-custom-data': {
    usage: "<userId> '<json object>'",
    arity: [2, 2],
    async run({ admin, args: [userId, json] }) {
      const customData = parseObject(json as string, 'the custom data');
      const user = await admin.updateUser(userId as string, { customData: customData as never });
      return `Custom data of ${user.id} set; tokens carry it from the next refresh.`;
    },
  },
  disable: {
    usage: '<userId>',
    arity: [1, 1],
    async run({ admin, args: [userId] }) {
      await admin.setDisabled(userId as string, true);
      return `User ${userId} disabled: its sessions ended and its logins answer UserDisabled.`;
    },
  },
  enable: {
    usage: '<userId>',
    arity: [1, 1],
    async run({ admin, args: [userId] }) {
      await admin.setDisabled(userId as string, false);
      return `User ${userId} enabled.`;
    },
  },
  create: {
    usage: "<username or email> ['<profile json>']",
    arity: [1, 2],
    async run({ accounts, args: [name, profile], values, password }) {
      const id = await accounts.createUser({
        ...((name as string).includes('@') ? { email: name as string } : { username: name as string }),
        ...(profile === undefined ? {} : { profile: parseObject(profile, 'the profile') as never }),
        ...(values['password-stdin'] ? { password: await password() } : {}),
      });
      return `Created user ${id}.${values['password-stdin'] ? '' : ' It has no password yet: send-enrollment mails a link to choose one.'}`;
    },
  },
  'set-password': {
    usage: '<userId>',
    arity: [1, 1],
    async run({ accounts, args: [userId], values, password }) {
      if (!values['password-stdin'])
        throw new UsageError('set-password reads the password from standard input: add --password-stdin', 'users');
      const logout = !values['keep-sessions'];
      await accounts.setPassword(userId as string, await password(), { logout });
      return `Password of ${userId} set${logout ? '; every session of the user ended' : ''}.`;
    },
  },
  'send-enrollment': {
    usage: '<userId> [email]',
    arity: [1, 2],
    run: async ({ accounts, args: [userId, email] }) =>
      `Enrollment mail sent to ${await accounts.sendEnrollmentEmail(userId as string, email)}.`,
  },
  'send-verification': {
    usage: '<userId> [email]',
    arity: [1, 2],
    run: async ({ accounts, args: [userId, email] }) =>
      `Verification mail sent to ${await accounts.sendVerificationEmail(userId as string, email)}.`,
  },
  'send-reset': {
    usage: '<userId> [email]',
    arity: [1, 2],
    run: async ({ accounts, args: [userId, email] }) =>
      `Password-reset mail sent to ${await accounts.sendResetPasswordEmail(userId as string, email)}.`,
  },
  'add-email': {
    usage: '<userId> <email>',
    arity: [2, 2],
    async run({ accounts, args: [userId, email], values }) {
      await accounts.addEmail(userId as string, email as string, values.verified === true);
      return `Added ${email}${values.verified ? ' (verified)' : ''} to ${userId}.`;
    },
  },
  'replace-email': {
    usage: '<userId> <old email> <new email>',
    arity: [3, 3],
    async run({ accounts, args: [userId, oldEmail, newEmail], values }) {
      await accounts.replaceEmail(userId as string, oldEmail as string, newEmail as string, values.verified === true);
      return `Replaced ${oldEmail} with ${newEmail}${values.verified ? ' (verified)' : ''} for ${userId}.`;
    },
  },
  'remove-email': {
    usage: '<userId> <email>',
    arity: [2, 2],
    async run({ accounts, args: [userId, email] }) {
      await accounts.removeEmail(userId as string, email as string);
      return `Removed ${email} from ${userId}.`;
    },
  },
  passkeys: {
    usage: '<userId>',
    arity: [1, 1],
    async run({ accounts, args: [userId] }) {
      const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
      const list = (await accounts.listPasskeys(userId as string)).map((p) => ({
        id: p.id,
        name: p.name,
        deviceType: p.deviceType,
        transports: p.transports,
        createdAt: iso(p.createdAt),
        lastUsedAt: iso(p.lastUsedAt),
      }));
      return JSON.stringify(list, null, 2);
    },
  },
  'remove-passkey': {
    usage: '<userId> <passkeyId | all>',
    arity: [2, 2],
    async run({ accounts, args: [userId, passkeyId] }) {
      const count = await accounts.removePasskeys(userId as string, passkeyId as string);
      return passkeyId === 'all'
        ? `Removed ${count} passkey${count === 1 ? '' : 's'} of ${userId}.`
        : `Removed passkey ${passkeyId} of ${userId}.`;
    },
  },
  '2fa-reset': {
    usage: '<userId>',
    arity: [1, 1],
    async run({ accounts, args: [userId] }) {
      const removed = await accounts.resetTwoFactor(userId as string);
      return removed
        ? `Two-factor sign-in of ${userId} turned off; its secret and recovery codes are gone.`
        : `${userId} had no two-factor sign-in set up.`;
    },
  },
  'send-login-token': {
    usage: '<userId> [email]',
    arity: [1, 2],
    async run({ accounts, args: [userId, email] }) {
      await accounts.sendLoginTokenEmail(userId as string, email);
      return `Login code sent to ${email ?? `the addresses of ${userId}`}.`;
    },
  },
  'set-username': {
    usage: '<userId> <username>',
    arity: [2, 2],
    async run({ accounts, args: [userId, username] }) {
      await accounts.setUsername(userId as string, username as string);
      return `Username of ${userId} set to ${username}.`;
    },
  },
};

export const usersCommand = defineCommand({
  name: 'users',
  summary: 'Look at users and change accounts as the server (Meteor’s server-side Accounts.*)',
  description:
    '`find` prints the id of the user with an email or username. ' +
    '`show` prints a user (profile, emails, identities, custom data, API key and passkey names — never secrets). ' +
    '`disable` ends every session of the user and makes its logins answer UserDisabled; `enable` undoes it. ' +
    "`set-custom-data` replaces the user's custom data (tokens carry it from the next refresh, unless the " +
    'config module has a customData hook). `create` makes a user without logging in (forbidClientAccountCreation ' +
    'does not apply; the email-domain rule and the hooks do). `set-password` sets a password read from standard ' +
    'input and ends every session unless --keep-sessions. `send-enrollment`, `send-verification` and ' +
    '`send-reset` mail a link to the given or first (for verification: first unverified) address; without SMTP ' +
    'configured the mail is printed here instead. `add-email`, `replace-email` (--verified to mark the new ' +
    'address verified), `remove-email` and `set-username` change the user; live DDP connections see it. ' +
    "`passkeys` lists the user's passkeys; `remove-passkey` removes one by id, or `all` of them (a lost device). " +
    "`2fa-reset` turns off a user's two-factor sign-in (a lost phone); `show` tells whether it is on. " +
    '`send-login-token` mails a passwordless login code (apps with accounts.passwordless).',
  options: {
    app: { type: 'string', value: '<id>', description: 'The app (must be in the config)' },
    config: { type: 'string', value: '<file>', description: 'Config file (default: found in the current directory)' },
    'password-stdin': { type: 'boolean', description: 'create, set-password: read the password from standard input' },
    'keep-sessions': { type: 'boolean', description: "set-password: keep the user's sessions" },
    verified: { type: 'boolean', description: 'add-email, replace-email: the address is already verified' },
  },
  arguments: [
    { name: '<action>', description: Object.keys(ACTIONS).join(' | ') },
    { name: '[userId]', description: 'The user (for create: the new username or email)' },
    {
      name: '[value]',
      description: 'What the action takes next: custom data or profile JSON, an email, a username, a passkey id',
    },
    { name: '[newEmail]', description: 'For replace-email: the new address' },
  ],
  examples: [
    'gatehouse users find --app myapp-abcde ada@example.com',
    'gatehouse users show --app myapp-abcde 6b02c4464…',
    `gatehouse users set-custom-data --app myapp-abcde 6b02c4464… '{"plan":"pro"}'`,
    `gatehouse users create --app myapp-abcde ada@example.com '{"name":"Ada"}'`,
    'gatehouse users send-enrollment --app myapp-abcde 6b02c4464…',
    'printf %s "$NEW_PASSWORD" | gatehouse users set-password --app myapp-abcde --password-stdin 6b02c4464…',
    'gatehouse users replace-email --app myapp-abcde 6b02c4464… old@example.com new@example.com',
    'gatehouse users set-username --app myapp-abcde 6b02c4464… ada',
    'gatehouse users passkeys --app myapp-abcde 6b02c4464…',
    'gatehouse users remove-passkey --app myapp-abcde 6b02c4464… all',
    'gatehouse users 2fa-reset --app myapp-abcde 6b02c4464…',
    'gatehouse users disable --app myapp-abcde 6b02c4464…',
  ],
  async run(values, io, [actionName, ...args]) {
    const action = ACTIONS[actionName as string];
    if (!action || !Object.hasOwn(ACTIONS, actionName as string))
      throw new UsageError(`unknown action '${actionName}': ${Object.keys(ACTIONS).join(', ')}`, 'users');
    const [min, max] = action.arity;
    if (args.length < min || args.length > max) throw new UsageError(`${actionName} takes ${action.usage}`, 'users');
    if (!values.app) throw new UsageError('option --app <id> is required', 'users');
    const config = await loadServerConfig(locateConfigFile(values.config, io.cwd), io.env, io.cwd);
    if (!config.apps.has(values.app)) throw new CliError(`no app '${values.app}' in the config`);
    prepareSqliteDirectory(config.database.url);
    const gatehouse = await createGatehouse(config, { logger: createLogger('warn') });
    let line: string;
    try {
      line = await action
        .run({
          gatehouse,
          accounts: gatehouse.accounts(values.app),
          admin: gatehouse.admin(values.app),
          appId: values.app,
          args,
          values,
          io,
          password: async () => readPassword(io),
        })
        .catch((error: unknown) => {
          // A refusal (taken email, weak password, no such user) is the operator's to fix: its message only.
          if (isGatehouseError(error) && error.code === 'UserNotFound')
            throw new CliError(`no user '${args[0]}' in app '${values.app}'`);
          throw isGatehouseError(error) ? new CliError(error.message) : error;
        });
    } finally {
      // Closing waits for mail sent in the background.
      await gatehouse.close();
    }
    io.stdout.write(`${line}\n`);
    // Without SMTP the mail went to this process's development outbox, which nobody else can see: show it.
    for (const mail of gatehouse.outbox?.list() ?? []) {
      io.stdout.write(`\nNo SMTP is configured, so the mail is shown here instead:\nTo: ${mail.to}\n`);
      io.stdout.write(`Subject: ${mail.subject}\n\n${mail.text}\n`);
    }
    return EXIT_OK;
  },
});

function parseObject(json: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new UsageError(`${what} is not valid JSON`, 'users');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new UsageError(`${what} must be a JSON object`, 'users');
  if (JSON.stringify(value).length > 16_384) throw new UsageError(`${what} is larger than 16 KiB`, 'users');
  return value as Record<string, unknown>;
}

/** The password from standard input, without one trailing newline (`echo` adds it). */
async function readPassword(io: Io): Promise<string> {
  if (!io.readStdin) throw new CliError('standard input cannot be read here');
  const text = (await io.readStdin()).replace(/\r?\n$/, '');
  if (text.length === 0) throw new CliError('no password on standard input');
  return text;
}
