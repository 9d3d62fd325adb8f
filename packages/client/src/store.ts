import type { ProviderType } from '@gatehouse-auth/core';
import type { User } from './user.js';

/** Why a user stopped being logged in. */
export type LogOutReason =
  /** `user.logOut()`. */
  | 'logOut'
  /** `app.removeUser()`. */
  | 'removed'
  /** `app.deleteUser()`. */
  | 'deleted'
  /** The server no longer honours the user's refresh token (revoked, expired, user deleted elsewhere). */
  | 'sessionEnded';

/** What {@link App.on} reports. */
export interface AuthEvents {
  /** `app.currentUser` is now another user, or `null`. */
  userChanged: { user: User | null };
  /** A user logged in (also when an already known user logged in again). */
  loggedIn: { user: User };
  /**
   * A login failed: the server refused it (`error` is then a `ServerError`) or could not be reached. Nothing
   * changed; a current user stays current.
   */
  loginFailed: { providerType: ProviderType; error: Error };
  /** A user was logged out; `reason` says why. A dead refresh token gives `'sessionEnded'`. */
  loggedOut: { user: User; reason: LogOutReason };
  /** A user got a new access token. */
  tokenRefreshed: { user: User };
  /** The custom user data in a user's access token changed (in a refresh, a new login, or a link). */
  customDataChanged: { user: User; customData: Record<string, unknown> };
}

/** One event: its `type` and its fields. */
export type AuthEvent = { [K in keyof AuthEvents]: { type: K } & AuthEvents[K] }[keyof AuthEvents];

/**
 * The state of an app's users at one moment. A new object whenever anything in it (or any user's tokens,
 * profile or state) changed, the same object otherwise — what React's `useSyncExternalStore` needs.
 */
export interface AuthSnapshot {
  /** The current user: the most recently logged-in or switched-to user that is logged in. */
  readonly currentUser: User | null;
  /** Every known user, logged in or logged out, most recent first (as `app.allUsers`). */
  readonly users: readonly User[];
  /** A `logIn()` is in progress. */
  readonly loggingIn: boolean;
  /** A `logOut()`, `removeUser()` or `deleteUser()` is in progress. */
  readonly loggingOut: boolean;
}

type Handler = (event: never) => void;

/** Calls `fn`; an exception in an app's listener surfaces on its own instead of breaking the SDK's work. */
export function safely(fn: () => void): void {
  try {
    fn();
  } catch (error) {
    queueMicrotask(() => {
      throw error;
    });
  }
}

/** The reactive store behind `App`: a snapshot, its subscribers, and typed events. */
export class Store {
  #snapshot: AuthSnapshot;
  readonly #compute: () => AuthSnapshot;
  readonly #listeners = new Set<() => void>();
  readonly #handlers = new Map<string, Set<Handler>>();

  constructor(compute: () => AuthSnapshot) {
    this.#compute = compute;
    this.#snapshot = compute();
  }

  readonly subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  };

  readonly getSnapshot = (): AuthSnapshot => this.#snapshot;

  on<K extends keyof AuthEvents>(type: K, handler: (event: AuthEvents[K] & { type: K }) => void): () => void {
    let set = this.#handlers.get(type);
    if (!set) this.#handlers.set(type, (set = new Set()));
    set.add(handler as Handler);
    return () => void set.delete(handler as Handler);
  }

  /** Takes a new snapshot, tells subscribers, then emits `events` (and `userChanged` when it applies). */
  changed(events: AuthEvent[] = []): void {
    const before = this.#snapshot.currentUser;
    this.#snapshot = this.#compute();
    const after = this.#snapshot.currentUser;
    if (before !== after) events = [...events, { type: 'userChanged', user: after }];
    for (const listener of [...this.#listeners]) safely(listener);
    for (const event of events)
      for (const handler of [...(this.#handlers.get(event.type) ?? [])]) safely(() => handler(event as never));
  }
}
