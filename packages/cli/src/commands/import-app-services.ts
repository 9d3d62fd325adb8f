import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { isGatehouseError } from '@gatehouse-auth/core';
import {
  createGatehouse,
  createLogger,
  ExportError,
  type ImportedSettings,
  parseAppServicesUsers,
  parseCustomUserData,
  readAppServicesExport,
  settingsFromExport,
} from '@gatehouse-auth/server';
import { CliError, EXIT_FAILURE, EXIT_OK, type Io, UsageError } from '../command.js';
import { displayPath, loadServerConfig, locateConfigFile, prepareSqliteDirectory } from '../config-file.js';

interface Values {
  app?: string | undefined;
  config?: string | undefined;
  users?: string | undefined;
  'send-reset'?: boolean | undefined;
  'custom-data'?: string | undefined;
}

type JsonObject = Record<string, unknown>;

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * `gatehouse import app-services <export-dir> [--users users.json] [--send-reset]`: the export's providers into
 * the app's settings (merged into gatehouse.config.json, checked by loading it before it is kept), then the
 * users through the account core. docs/migrating-from-app-services.md.
 */
export async function importAppServices(values: Values, io: Io, dir: string | undefined): Promise<number> {
  if (!dir) throw new UsageError('import app-services takes the export directory', 'import');
  if (values['send-reset'] && !values.users) throw new UsageError('--send-reset needs --users <file>', 'import');
  if (values['custom-data'] && !values.users)
    throw new UsageError('--custom-data needs --users <file> (the users it belongs to)', 'import');
  let exported: ReturnType<typeof readAppServicesExport>;
  try {
    exported = readAppServicesExport(resolve(io.cwd, dir));
  } catch (error) {
    if (error instanceof ExportError) throw new CliError(error.message);
    throw error;
  }
  const appId = values.app ?? exported.appId;
  if (!appId) throw new UsageError('the export names no app id (realm_config.json): give --app <id>', 'import');
  const path = locateConfigFile(values.config, io.cwd);
  const settings = settingsFromExport(exported);
  const written = Object.keys(settings.providers);
  if (path.endsWith('.json')) {
    await mergeIntoConfig(path, appId, exported.name, settings, io);
    io.stdout.write(
      `App ${appId} in ${displayPath(path, io.cwd)}: ${written.length ? `providers ${written.join(', ')}` : 'no providers'}` +
        `${settings.oauthRedirectUris.length ? `, ${plural(settings.oauthRedirectUris.length, 'OAuth redirect URI')}` : ''}.\n`,
    );
  } else {
    // A module's settings are code: print them for the person to put there.
    io.stdout.write(
      `${displayPath(path, io.cwd)} is a module, so nothing was written: put these settings in apps['${appId}']:\n` +
        `${JSON.stringify({ providers: settings.providers, oauthRedirectUris: settings.oauthRedirectUris }, null, 2)}\n`,
    );
  }
  if (settings.notes.length) {
    io.stdout.write('Still to do by hand:\n');
    for (const note of settings.notes) io.stdout.write(`  - ${note}\n`);
  }
  if (!values.users) return EXIT_OK;

  const config = await loadServerConfig(path, io.env, io.cwd);
  if (!config.apps.has(appId)) throw new CliError(`no app '${appId}' in the config`);
  let parsed: ReturnType<typeof parseAppServicesUsers>;
  let customData: ReturnType<typeof parseCustomUserData> | null = null;
  const userIdField = exported.customUserData?.user_id_field ?? 'user_id';
  try {
    parsed = parseAppServicesUsers(readText(io, values.users), Date.now());
    if (values['custom-data']) customData = parseCustomUserData(readText(io, values['custom-data']), userIdField);
  } catch (error) {
    if (error instanceof ExportError) throw new CliError(error.message);
    throw error;
  }
  prepareSqliteDirectory(config.database.url);
  const gatehouse = await createGatehouse(config, { logger: createLogger('warn') });
  const failed = [...parsed.skipped];
  let imported = 0;
  let unchanged = 0;
  let mailed = 0;
  const withoutPassword: string[] = [];
  try {
    const accounts = gatehouse.accounts(appId);
    for (const { record, account: user } of parsed.users) {
      try {
        const outcome = await accounts.importUser(user);
        if (outcome.status === 'imported') imported++;
        else unchanged++;
        if (outcome.needsPassword) withoutPassword.push(user.id);
      } catch (error) {
        if (!isGatehouseError(error)) throw error;
        failed.push({ record, id: user.id, reason: error.message });
      }
    }
    if (customData) {
      let set = 0;
      const skipped = [...customData.skipped];
      for (const { record, userId, data } of customData.entries) {
        try {
          await accounts.setCustomData(userId, data as never);
          set++;
        } catch (error) {
          if (!isGatehouseError(error)) throw error;
          skipped.push({
            record,
            id: userId,
            reason: error.code === 'UserNotFound' ? 'no such user here' : error.message,
          });
        }
      }
      io.stdout.write(
        `Custom user data (by '${userIdField}'): ${plural(set, 'user')} set; ${skipped.length} skipped.\n`,
      );
      for (const f of skipped) io.stdout.write(`  document ${f.record}${f.id ? ` (${f.id})` : ''}: ${f.reason}\n`);
    }
    if (values['send-reset'])
      for (const id of withoutPassword) {
        try {
          await accounts.sendEnrollmentEmail(id);
          mailed++;
        } catch (error) {
          if (!isGatehouseError(error)) throw error;
          failed.push({ record: 0, id, reason: `no mail sent: ${error.message}` });
        }
      }
    // Closing stops delivery: first let the mail written go out (what cannot, a running Gatehouse delivers).
    if (mailed) await gatehouse.settled(60_000);
    const waiting = mailed ? ((await gatehouse.status()).mailQueue?.pending ?? 0) : 0;
    if (waiting)
      io.stdout.write(`${plural(waiting, 'mail')} still wait in the outbox: a running Gatehouse delivers them.\n`);
  } finally {
    await gatehouse.close();
  }
  io.stdout.write(
    `Imported ${plural(imported, 'user')}; ${unchanged} already present; ${failed.length} skipped or failed.\n`,
  );
  for (const f of failed)
    io.stdout.write(`  ${f.record ? `record ${f.record}` : 'user'}${f.id ? ` (${f.id})` : ''}: ${f.reason}\n`);
  if (withoutPassword.length)
    io.stdout.write(
      values['send-reset']
        ? `Mailed ${plural(mailed, 'email/password user')} a link to choose a password (passwords do not leave App Services).\n`
        : `${plural(withoutPassword.length, 'email/password user')} have no password yet (passwords do not leave App Services): ` +
            'run this again with --send-reset to mail each a link to choose one.\n',
    );
  for (const mail of gatehouse.outbox?.list() ?? [])
    io.stdout.write(
      `\nNo SMTP is configured, so the mail is shown here instead:\nTo: ${mail.to}\nSubject: ${mail.subject}\n\n${mail.text}\n`,
    );
  return failed.length > 0 && imported + unchanged === 0 ? EXIT_FAILURE : EXIT_OK;
}

function readText(io: Io, file: string): string {
  try {
    return readFileSync(resolve(io.cwd, file), 'utf8');
  } catch (error) {
    throw new CliError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

/**
 * Merges the imported settings into the app of a JSON config file — each imported provider's fields over the
 * file's, the redirect URIs added — and keeps the result only if the server accepts the whole file.
 */
async function mergeIntoConfig(
  path: string,
  appId: string,
  name: string | null,
  settings: ImportedSettings,
  io: Io,
): Promise<void> {
  const original = readFileSync(path, 'utf8');
  let file: JsonObject;
  try {
    file = JSON.parse(original) as JsonObject;
  } catch (error) {
    throw new CliError(`${path}: ${(error as Error).message}`);
  }
  const apps = (file.apps ??= {}) as Record<string, JsonObject>;
  const app = (apps[appId] ??= { name: name ?? appId });
  const providers = (app.providers ??= {}) as Record<string, JsonObject>;
  for (const [type, imported] of Object.entries(settings.providers))
    providers[type] = { ...(providers[type] ?? {}), ...imported };
  if (settings.oauthRedirectUris.length)
    app.oauthRedirectUris = [
      ...new Set([...((app.oauthRedirectUris as string[]) ?? []), ...settings.oauthRedirectUris]),
    ];
  writeFileSync(path, `${JSON.stringify(file, null, 2)}\n`);
  try {
    await loadServerConfig(path, io.env, io.cwd);
  } catch (error) {
    writeFileSync(path, original);
    throw new CliError(`the imported settings are refused, ${path} is left as it was: ${(error as Error).message}`);
  }
}
