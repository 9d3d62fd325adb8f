import { createAccounts, type FieldSpecifier, type MeteorUser, type User } from '@gatehouse-auth/client';
import { useMemo, useSyncExternalStore } from 'react';
import { useApp, useAuthSnapshot } from './app-provider.js';

/**
 * The current user (`app.currentUser`), or `null` when nobody is logged in. Renders again on login, logout,
 * `switchUser`, token refresh and profile changes.
 *
 * Unlike `@realm/react`'s `useUser` (which needed a `UserProvider` and never returned `null`), this works
 * anywhere under the `AppProvider`.
 *
 * @example
 * ```tsx
 * const user = useUser();
 * return user ? <p>Hello {user.profile.email ?? 'guest'}</p> : <SignIn />;
 * ```
 */
export function useUser(): User | null {
  return useAuthSnapshot().currentUser;
}

/**
 * The current user's id, or `null` (Meteor's `useUserId`).
 *
 * @example
 * ```tsx
 * const userId = useUserId();
 * useEffect(() => { if (userId) loadNotes(userId); }, [userId]);
 * ```
 */
export function useUserId(): string | null {
  return useAuthSnapshot().currentUser?.id ?? null;
}

/**
 * True while a login is in progress (Meteor's `useLoggingIn`).
 *
 * @example
 * ```tsx
 * if (useLoggingIn()) return <Spinner />;
 * ```
 */
export function useLoggingIn(): boolean {
  return useAuthSnapshot().loggingIn;
}

/**
 * True while a logout, `removeUser` or `deleteUser` is in progress.
 *
 * @example
 * ```tsx
 * <button disabled={useLoggingOut()} onClick={logOut}>Sign out</button>
 * ```
 */
export function useLoggingOut(): boolean {
  return useAuthSnapshot().loggingOut;
}

/**
 * Every user this app knows on this device, logged in or out, most recent first — for an account switcher.
 *
 * @example
 * ```tsx
 * const app = useApp();
 * return useAllUsers().map((u) => <button key={u.id} onClick={() => app.switchUser(u)}>{u.profile.email}</button>);
 * ```
 */
export function useAllUsers(): readonly User[] {
  return useAuthSnapshot().users;
}

/**
 * The current user's Meteor document — `Meteor.user()`, as `createAccounts(app).user()` answers it — or `null`.
 * Renders again when the document arrives or changes (after login, token refresh, `refreshUser()`) and on
 * logout. With `fields`, projected as Meteor does. (Meteor's `react-meteor-accounts` calls this `useUser`; here
 * that name returns the `User`.)
 *
 * @example
 * ```tsx
 * const user = useMeteorUser();
 * return user ? <p>Hello {user.username ?? user.emails[0]?.address}</p> : <SignIn />;
 * const { profile } = useMeteorUser({ fields: { profile: 1 } }) ?? {};
 * ```
 */
export function useMeteorUser(): MeteorUser | null;
export function useMeteorUser(options: { fields?: FieldSpecifier }): Partial<MeteorUser> | null;
export function useMeteorUser(options?: { fields?: FieldSpecifier }): Partial<MeteorUser> | null {
  const app = useApp();
  // One facade per app (createAccounts returns the same object), so this is cheap on every render.
  const accounts = createAccounts(app);
  const doc = useSyncExternalStore(app.subscribe, accounts.user, accounts.user);
  const fields = options?.fields === undefined ? '' : JSON.stringify(options.fields);
  // The projection is a new object each time: made again only when the document or the fields change.
  return useMemo(
    () => (fields && doc ? accounts.user({ fields: JSON.parse(fields) as FieldSpecifier }) : doc),
    [accounts, doc, fields],
  );
}
