import type { User } from '@gatehouse/client';
import { useAuthSnapshot } from './app-provider.js';

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
