import type { App } from '@gatehouse-auth/client';
import {
  listPasskeys,
  logInWithPasskey,
  type PasskeyInfo,
  type PasskeyLoginOptions,
  registerPasskey,
  removePasskey,
  renamePasskey,
} from '@gatehouse-auth/client/passkeys';
import { useProvider } from './app-provider.js';
import { type Run, useOperations } from './use-auth.js';

/** What {@link usePasskeys} returns. The operations resolve when done and never reject: see `result`. */
export interface UsePasskeys {
  result: ReturnType<typeof useProvider>['result'];
  /** Signs in with a passkey (`{ useBrowserAutofill: true }`: from the name field's autofill). */
  logInWithPasskey(options?: PasskeyLoginOptions): Promise<void>;
  /** Registers a passkey on the current user. */
  registerPasskey(options?: { name?: string }): Promise<void>;
  renamePasskey(passkeyId: string, name: string): Promise<void>;
  removePasskey(passkeyId: string): Promise<void>;
  /** The current user's passkeys (rejects when nobody is signed in). */
  listPasskeys(): Promise<PasskeyInfo[]>;
}

function signedIn(app: App) {
  const user = app.currentUser;
  if (!user) throw new Error('nobody is signed in');
  return user;
}

function passkeyOperations(app: App, run: Run): Omit<UsePasskeys, 'result'> {
  return {
    logInWithPasskey: run('logInWithPasskey', (options?: PasskeyLoginOptions) => logInWithPasskey(app, options)),
    registerPasskey: run('registerPasskey', (options?: { name?: string }) => registerPasskey(signedIn(app), options)),
    renamePasskey: run('renamePasskey', (id: string, name: string) => renamePasskey(signedIn(app), id, name)),
    removePasskey: run('removePasskey', (id: string) => removePasskey(signedIn(app), id)),
    listPasskeys: async () => listPasskeys(signedIn(app)),
  };
}

/**
 * Passkeys (`@gatehouse-auth/client/passkeys`) with pending / error state in the provider's `result`.
 *
 * @example
 * ```tsx
 * const { logInWithPasskey, result } = usePasskeys();
 * <button onClick={() => logInWithPasskey()} disabled={result.pending}>Sign in with a passkey</button>
 * ```
 */
export function usePasskeys(): UsePasskeys {
  const { result } = useProvider();
  const operations = useOperations(passkeyOperations);
  return { result, ...operations };
}
