import { type App, Credentials, createAccounts, type ExternalLoginOptions } from '@gatehouse-auth/client';
import { useMemo } from 'react';
import { type AuthOperationName, type AuthResult, useProvider } from './app-provider.js';

export type Run = <A extends unknown[]>(
  name: AuthOperationName,
  work: (...args: A) => Promise<unknown>,
) => (...args: A) => Promise<void>;

/** Wraps each operation so its pending / success / error state lands in the provider's {@link AuthResult}. */
export function useOperations<T>(build: (app: App, run: Run) => T): T {
  const { app, setResult } = useProvider();
  return useMemo(() => {
    const run: Run =
      (operation, work) =>
      async (...args) => {
        setResult({ state: 'pending', operation, pending: true, success: false, error: undefined });
        try {
          await work(...args);
          setResult({ state: 'success', operation, pending: false, success: true, error: undefined });
        } catch (error) {
          const failure = error instanceof Error ? error : new Error(String(error));
          setResult({ state: 'error', operation, pending: false, success: false, error: failure });
        }
      };
    return build(app, run);
  }, [app, setResult, build]);
}

/** What {@link useAuth} returns. Each function resolves when done and never rejects: see `result`. */
export interface UseAuth {
  /** The newest operation's state, shared under the `AppProvider`. */
  result: AuthResult;
  logIn(credentials: Credentials): Promise<void>;
  logInWithAnonymous(): Promise<void>;
  logInWithApiKey(key: string): Promise<void>;
  logInWithEmailPassword(credentials: { email: string; password: string }): Promise<void>;
  logInWithJWT(token: string): Promise<void>;
  logInWithGoogle(credentials: { idToken: string } | { authCode: string } | { redirectUrl: string }): Promise<void>;
  logInWithApple(idToken: string): Promise<void>;
  logInWithFacebook(accessToken: string): Promise<void>;
  logInWithFunction(payload: Record<string, unknown>): Promise<void>;
  /**
   * Logs in with an external service the app configured (`github`, `google`, `twitter`, …) — a popup by
   * default, or `{ loginStyle: 'redirect', redirectUrl }`. Call it from the click handler: browsers block
   * popups opened later.
   *
   * @example
   * ```tsx
   * <button onClick={() => logInWithService('github')}>Sign in with GitHub</button>
   * ```
   */
  logInWithService(service: string, options?: ExternalLoginOptions): Promise<void>;
  /** Logs the current user out. */
  logOut(): Promise<void>;
}

function authOperations(app: App, run: Run): Omit<UseAuth, 'result'> {
  const logIn = (credentials: Credentials) => app.logIn(credentials);
  return {
    logIn: run('logIn', logIn),
    logInWithAnonymous: run('logInWithAnonymous', () => logIn(Credentials.anonymous())),
    logInWithApiKey: run('logInWithApiKey', (key: string) => logIn(Credentials.apiKey(key))),
    logInWithEmailPassword: run('logInWithEmailPassword', (c: { email: string; password: string }) =>
      logIn(Credentials.emailPassword(c.email, c.password)),
    ),
    logInWithJWT: run('logInWithJWT', (token: string) => logIn(Credentials.jwt(token))),
    logInWithGoogle: run('logInWithGoogle', (c: Parameters<typeof Credentials.google>[0]) =>
      logIn(Credentials.google(c)),
    ),
    logInWithApple: run('logInWithApple', (idToken: string) => logIn(Credentials.apple(idToken))),
    logInWithFacebook: run('logInWithFacebook', (token: string) => logIn(Credentials.facebook(token))),
    logInWithFunction: run('logInWithFunction', (payload: Record<string, unknown>) =>
      logIn(Credentials.function(payload)),
    ),
    logInWithService: run('logInWithService', (service: string, options?: ExternalLoginOptions) =>
      createAccounts(app).loginWith(service, options),
    ),
    logOut: run('logOut', async () => app.currentUser?.logOut()),
  };
}

/**
 * Log-in helpers with pending / error state, named as in `@realm/react`.
 *
 * @example
 * ```tsx
 * const { logInWithEmailPassword, result } = useAuth();
 * if (result.pending) return <Spinner />;
 * return (
 *   <form onSubmit={() => logInWithEmailPassword({ email, password })}>
 *     {result.error && <p>{result.error.message}</p>}
 *   </form>
 * );
 * ```
 */
export function useAuth(): UseAuth {
  const { result } = useProvider();
  const operations = useOperations(authOperations);
  return { result, ...operations };
}

/** What {@link useEmailPasswordAuth} returns. */
export interface UseEmailPasswordAuth {
  result: AuthResult;
  logIn(credentials: { email: string; password: string }): Promise<void>;
  logOut(): Promise<void>;
  register(details: { email: string; password: string }): Promise<void>;
  confirm(details: { token: string; tokenId: string }): Promise<void>;
  resendConfirmationEmail(details: { email: string }): Promise<void>;
  retryCustomConfirmation(details: { email: string }): Promise<void>;
  sendResetPasswordEmail(details: { email: string }): Promise<void>;
  resetPassword(details: { token: string; tokenId: string; password: string }): Promise<void>;
  callResetPasswordFunction(details: { email: string; password: string }, ...args: unknown[]): Promise<void>;
}

function emailPasswordOperations(app: App, run: Run): Omit<UseEmailPasswordAuth, 'result'> {
  const auth = app.emailPasswordAuth;
  return {
    logIn: run('logIn', (c: { email: string; password: string }) =>
      app.logIn(Credentials.emailPassword(c.email, c.password)),
    ),
    logOut: run('logOut', async () => app.currentUser?.logOut()),
    register: run('register', (d: { email: string; password: string }) => auth.registerUser(d)),
    confirm: run('confirm', (d: { token: string; tokenId: string }) => auth.confirmUser(d)),
    resendConfirmationEmail: run('resendConfirmationEmail', (d: { email: string }) => auth.resendConfirmationEmail(d)),
    retryCustomConfirmation: run('retryCustomConfirmation', (d: { email: string }) => auth.retryCustomConfirmation(d)),
    sendResetPasswordEmail: run('sendResetPasswordEmail', (d: { email: string }) => auth.sendResetPasswordEmail(d)),
    resetPassword: run('resetPassword', (d: { token: string; tokenId: string; password: string }) =>
      auth.resetPassword(d),
    ),
    callResetPasswordFunction: run(
      'callResetPasswordFunction',
      (d: { email: string; password: string }, ...args: unknown[]) => auth.callResetPasswordFunction(d, ...args),
    ),
  };
}

/**
 * The email/password provider's flows with pending / error state, named as in `@realm/react`.
 *
 * @example
 * ```tsx
 * const { register, result } = useEmailPasswordAuth();
 * <button onClick={() => register({ email, password })} disabled={result.pending}>Sign up</button>
 * ```
 */
export function useEmailPasswordAuth(): UseEmailPasswordAuth {
  const { result } = useProvider();
  const operations = useOperations(emailPasswordOperations);
  return { result, ...operations };
}
