/**
 * Where an {@link App} keeps its users between runs: a small synchronous key-value store of strings. Reads
 * happen once, when the `App` is constructed (so `app.currentUser` is there at once, with no network);
 * writes happen as users log in, refresh, switch and log out.
 *
 * Any object with these three methods works — realm-web's `Storage` implementations included, so a custom
 * storage written for realm-web can be passed unchanged. The SDK ships {@link memoryStorage},
 * {@link webStorage} (`localStorage` / `sessionStorage`) and, for Node, `fileStorage` from
 * `@gatehouse-auth/client/node`.
 *
 * @example
 * ```ts
 * // React Native with a synchronous store such as react-native-mmkv:
 * const storage: StorageAdapter = {
 *   get: (key) => mmkv.getString(key) ?? null,
 *   set: (key, value) => mmkv.set(key, value),
 *   remove: (key) => mmkv.delete(key),
 * };
 * const app = new App({ id, baseUrl, storage });
 * ```
 */
export interface StorageAdapter {
  /** The value stored under `key`, or `null`. */
  get(key: string): string | null;
  set(key: string, value: string): void;
  remove(key: string): void;
}

/**
 * A storage that lives as long as the object: nothing survives a restart. Useful for tests and for
 * processes that should forget their users on exit.
 *
 * @example
 * ```ts
 * const app = new App({ id, baseUrl, storage: memoryStorage() });
 * ```
 */
export function memoryStorage(): StorageAdapter {
  const values = new Map<string, string>();
  return {
    get: (key) => values.get(key) ?? null,
    set: (key, value) => void values.set(key, value),
    remove: (key) => void values.delete(key),
  };
}

/** The part of the Web Storage API (`localStorage`, `sessionStorage`) that {@link webStorage} uses. */
export interface WebStorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/**
 * A storage on the browser's `localStorage` (the default in browsers: users stay logged in across reloads
 * and tabs) or `sessionStorage` (users are forgotten when the tab closes). Keys are prefixed with
 * `prefix` and a colon.
 *
 * The default prefix is `realm-web`, and the keys below it are the ones realm-web 2.0.1 wrote, so
 * an app that moves from realm-web to `@gatehouse-auth/client` keeps its logged-in users. Pass another prefix to
 * keep two apps on one origin apart.
 *
 * Writes that the browser refuses (quota exceeded, storage disabled) are dropped: the user stays logged in
 * for this page, but not across a reload.
 *
 * @example
 * ```ts
 * const app = new App({ id, baseUrl, storage: webStorage(sessionStorage) });
 * ```
 */
export function webStorage(store: WebStorageLike, prefix = 'realm-web'): StorageAdapter {
  const full = (key: string) => `${prefix}:${key}`;
  return {
    get: (key) => store.getItem(full(key)),
    set(key, value) {
      try {
        store.setItem(full(key), value);
      } catch {
        // Quota or privacy mode: persistence is best effort, the session in memory goes on.
      }
    },
    remove: (key) => store.removeItem(full(key)),
  };
}

// One process-wide memory store, as realm-web's Node build had: Apps with the same id share their users,
// just as they would through `localStorage` in a browser.
let sharedMemory: StorageAdapter | undefined;

/** `localStorage` when the platform has a usable one, else a memory storage shared by the process. */
export function defaultStorage(): StorageAdapter {
  try {
    const local = (globalThis as { localStorage?: WebStorageLike }).localStorage;
    if (local) {
      local.getItem('');
      return webStorage(local);
    }
  } catch {
    // Access denied (sandboxed iframe, disabled cookies): fall through to memory.
  }
  sharedMemory ??= memoryStorage();
  return sharedMemory;
}
