import { usernameKey } from '@gatehouse-auth/core';
import { sql, type Updateable } from 'kysely';
import type { StorageTransaction, UserRecord } from '../contract.js';
import type { UserRow, UsersTable } from '../schema.js';
import { emailValues, identityRecord, identityValues } from './emails-identities.js';
import { fold, type PreparedRead, type Scope } from './scope.js';

export type UserQueries = Pick<
  StorageTransaction,
  | 'createUser'
  | 'getUser'
  | 'findUserByEmail'
  | 'findUsersByUsername'
  | 'findUserByIdentity'
  | 'deleteUser'
  | 'setUserProfile'
  | 'setUserCustomData'
  | 'setUserDisabled'
  | 'setUsername'
  | 'listUsers'
>;

const DEFAULT_USER_PAGE = 50;
const MAX_USER_PAGE = 200;

/** Users: creation (with emails, identities and password), lookups, and changes to the user row itself. */
export function userQueries(s: Scope): UserQueries {
  const updateUser = async (appId: string, userId: string, changes: Updateable<UsersTable>): Promise<boolean> => {
    const result = await s.db
      .updateTable('users')
      .set(changes)
      .where('id', '=', userId)
      .where('app_id', '=', appId)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  };

  return {
    async listUsers(appId, options = {}) {
      const limit = Math.min(Math.max(Math.trunc(options.limit ?? DEFAULT_USER_PAGE), 1), MAX_USER_PAGE);
      let query = s.db.selectFrom('users as u').selectAll('u').where('u.app_id', '=', appId);
      if (options.after !== undefined) query = query.where('u.id', '>', options.after);
      const search = options.search?.trim();
      if (search) {
        // A part of a name: LIKE with its wildcards escaped, on the columns already folded to lower case.
        const pattern = `%${fold(search).replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
        const like = (column: string) => sql<boolean>`${sql.ref(column)} like ${pattern} escape '\\'`;
        query = query.where((eb) =>
          eb.or([
            eb('u.id', '=', search),
            like('u.username_lower'),
            eb.exists(
              eb
                .selectFrom('user_emails as e')
                .select('e.user_id')
                .whereRef('e.user_id', '=', 'u.id')
                .where(like('e.address_lower')),
            ),
          ]),
        );
      }
      const provider = options.provider;
      if (provider !== undefined)
        query = query.where((eb) =>
          eb.exists(
            eb
              .selectFrom('identities as i')
              .select('i.user_id')
              .whereRef('i.user_id', '=', 'u.id')
              .where((inner) =>
                inner.or([inner('i.provider_type', '=', provider), inner('i.provider_id', '=', provider)]),
              ),
          ),
        );
      return hydrate(s, await query.orderBy('u.id').limit(limit).execute());
    },

    createUser(input) {
      const { id, appId, now } = input;
      const username = input.username ?? null;
      const profile = input.profile ?? {};
      const customData = input.customData ?? {};
      const emails = input.emails ?? [];
      const identities = input.identities ?? [];
      const passwordHash = input.passwordHash ?? null;
      const record: UserRecord = {
        id,
        appId,
        username,
        type: input.type ?? 'normal',
        disabled: false,
        profile,
        customData,
        createdAt: now,
        updatedAt: now,
        emails: emails.map((email) => ({ address: email.address, verified: email.verified })),
        identities: identities.map((identity) => identityRecord(identity, now)),
      };
      return s.translatingConflicts(() =>
        s.atomically(async (tx) => {
          await tx.db
            .insertInto('users')
            .values({
              id,
              app_id: appId,
              username,
              username_lower: username === null ? null : usernameKey(username),
              type: record.type,
              disabled: tx.bool(false),
              profile: JSON.stringify(profile),
              custom_data: JSON.stringify(customData),
              created_at: now,
              updated_at: now,
            })
            .execute();
          if (emails.length > 0) {
            // One multi-row statement; rows get their `seq` in list order.
            await tx.db
              .insertInto('user_emails')
              .values(emails.map((email) => emailValues(tx, appId, id, email, now)))
              .execute();
          }
          if (identities.length > 0) {
            await tx.db
              .insertInto('identities')
              .values(identities.map((identity) => identityValues(appId, id, identity, now)))
              .execute();
          }
          if (passwordHash !== null) {
            await tx.db.insertInto('passwords').values({ user_id: id, hash: passwordHash, updated_at: now }).execute();
          }
          return record;
        }),
      );
    },

    async getUser(appId, userId) {
      const [row] = await s.read(userById, appId, userId);
      return row ? hydrateOne(s, row) : null;
    },

    async findUserByEmail(appId, email) {
      const [row] = await s.read(userByEmail, appId, fold(email));
      return row ? hydrateOne(s, row) : null;
    },

    async findUsersByUsername(appId, username) {
      // Usernames are unique by `username_lower`, so this finds at most one row today; the exact-match
      // preference is kept so the promise holds if that rule is ever relaxed (e.g. for imported data).
      const rows = await s.db
        .selectFrom('users')
        .selectAll()
        .where('app_id', '=', appId)
        .where('username_lower', '=', usernameKey(username))
        .orderBy('created_at')
        .orderBy('id')
        .limit(3)
        .execute();
      const exact = rows.filter((row) => row.username === username);
      return hydrate(s, (exact.length > 0 ? exact : rows).slice(0, 2));
    },

    async findUserByIdentity(appId, providerId, subject) {
      const row = await s.db
        .selectFrom('identities as i')
        .innerJoin('users as u', 'u.id', 'i.user_id')
        .selectAll('u')
        .where('i.app_id', '=', appId)
        .where('i.provider_id', '=', providerId)
        .where('i.subject', '=', subject)
        .executeTakeFirst();
      return row ? hydrateOne(s, row) : null;
    },

    async deleteUser(appId, userId) {
      // One statement: the foreign keys cascade to emails, identities, password, sessions, keys and tokens.
      const result = await s.db
        .deleteFrom('users')
        .where('id', '=', userId)
        .where('app_id', '=', appId)
        .executeTakeFirst();
      return result.numDeletedRows > 0n;
    },

    setUserProfile(appId, userId, profile, now) {
      return updateUser(appId, userId, { profile: JSON.stringify(profile), updated_at: now });
    },

    setUserCustomData(appId, userId, customData, now) {
      return updateUser(appId, userId, { custom_data: JSON.stringify(customData), updated_at: now });
    },

    setUserDisabled(appId, userId, disabled, now) {
      return updateUser(appId, userId, { disabled: s.bool(disabled), updated_at: now });
    },

    setUsername(appId, userId, username, now) {
      return s.translatingConflicts(() =>
        updateUser(appId, userId, {
          username,
          username_lower: username === null ? null : usernameKey(username),
          updated_at: now,
        }),
      );
    },
  };
}

/** Attaches emails and identities to one user row: the two reads of every login and profile, compiled once. */
async function hydrateOne(s: Scope, row: UserRow): Promise<UserRecord> {
  const [emails, identities] = await Promise.all([s.read(emailsOf, row.id), s.read(identitiesOf, row.id)]);
  return s.map.user(
    row,
    emails.map((email) => s.map.email(email)),
    identities.map((identity) => s.map.identity(identity)),
  );
}

/** Attaches emails and identities to user rows: two queries however many users. */
async function hydrate(s: Scope, rows: UserRow[]): Promise<UserRecord[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((row) => row.id);
  const [emailRows, identityRows] = await Promise.all([
    s.db
      .selectFrom('user_emails')
      .select(['user_id', 'address', 'verified'])
      .where('user_id', 'in', ids)
      .orderBy('seq')
      .execute(),
    s.db
      .selectFrom('identities')
      .select(['user_id', 'provider_type', 'provider_id', 'subject', 'data', 'created_at'])
      .where('user_id', 'in', ids)
      .orderBy('seq')
      .execute(),
  ]);
  const emails = groupBy(emailRows, (row) => row.user_id, s.map.email);
  const identities = groupBy(identityRows, (row) => row.user_id, s.map.identity);
  return rows.map((row) => s.map.user(row, emails.get(row.id) ?? [], identities.get(row.id) ?? []));
}

function groupBy<R, V>(rows: R[], key: (row: R) => string, map: (row: R) => V): Map<string, V[]> {
  const groups = new Map<string, V[]>();
  for (const row of rows) {
    const k = key(row);
    const list = groups.get(k);
    if (list) list.push(map(row));
    else groups.set(k, [map(row)]);
  }
  return groups;
}

// The reads of every login, refresh and profile, compiled once per storage (`Scope.read`).

const userById = ((db, appId: string, userId: string) =>
  db.selectFrom('users').selectAll().where('id', '=', userId).where('app_id', '=', appId)) satisfies PreparedRead<
  [string, string],
  unknown
>;

const userByEmail = ((db, appId: string, addressLower: string) =>
  db
    .selectFrom('user_emails as e')
    .innerJoin('users as u', 'u.id', 'e.user_id')
    .selectAll('u')
    .where('e.app_id', '=', appId)
    .where('e.address_lower', '=', addressLower)) satisfies PreparedRead<[string, string], unknown>;

const emailsOf = ((db, userId: string) =>
  db
    .selectFrom('user_emails')
    .select(['user_id', 'address', 'verified'])
    .where('user_id', '=', userId)
    .orderBy('seq')) satisfies PreparedRead<[string], unknown>;

const identitiesOf = ((db, userId: string) =>
  db
    .selectFrom('identities')
    .select(['user_id', 'provider_type', 'provider_id', 'subject', 'data', 'created_at'])
    .where('user_id', '=', userId)
    .orderBy('seq')) satisfies PreparedRead<[string], unknown>;
