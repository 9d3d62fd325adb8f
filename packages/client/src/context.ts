import type { App } from './app.js';
import type { deviceInformation } from './device.js';
import type { PersistedState } from './persist.js';
import type { AuthEvent } from './store.js';
import type { Call, FetchFunction } from './transport.js';
import type { User } from './user.js';

/** A request under the app's location: `path` is appended to the hostname of the location request. */
export type PathCall = Omit<Call, 'url'> & { path: string };

/** What an `App` shares with its users and helpers; not part of the public API. */
export interface AppContext {
  readonly app: App;
  readonly id: string;
  readonly fetch: FetchFunction;
  readonly state: PersistedState;
  /** Sends a request under the app's location and returns its JSON body. */
  request(call: PathCall): Promise<unknown>;
  /** The same, returning the `Response` (for the OAuth link's `X-BAAS-Location` header). */
  send(call: PathCall): Promise<Response>;
  /** The hostname every request goes to (the answer of the location request). */
  location(): Promise<string>;
  /** `options.device` for a login. */
  device(): ReturnType<typeof deviceInformation>;
  /** Estimated server clock minus local clock, in ms, from the `iat` of the newest token received. */
  skew: number;
  /** Something about the users changed: new snapshot, then `events`. */
  changed(events?: AuthEvent[]): void;
  /** Runs `work` with the store's `loggingIn` or `loggingOut` flag up. */
  track<T>(flag: 'loggingIn' | 'loggingOut', work: () => Promise<T>): Promise<T>;
  /** Callbacks registered with `user.addListener()`. */
  userListeners: WeakMap<User, Set<() => void>>;
}

/**
 * Each `App`'s context, for the package's own helpers that work on an app from outside it (`createAccounts`).
 * Not exported from the package.
 */
export const contexts: WeakMap<object, AppContext> = /* @__PURE__ */ new WeakMap();
