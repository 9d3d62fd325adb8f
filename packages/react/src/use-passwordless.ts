import { type App, createAccounts, type User } from '@gatehouse-auth/client';
import {
  disableUser2fa,
  emailCodeCredentials,
  enableUser2fa,
  generate2faActivationQrCode,
  type TwoFactorActivation,
  type TwoFactorStatus,
  twoFactorCredentials,
  twoFactorStatus,
  withPasswordless,
} from '@gatehouse-auth/client/passwordless';
import { useCallback, useEffect, useState } from 'react';
import { useProvider } from './app-provider.js';
import { useUserId } from './hooks.js';
import { type Run, useOperations } from './use-auth.js';

/** What {@link usePasswordless} returns. The operations resolve when done and never reject: see `result`. */
export interface UsePasswordless {
  result: ReturnType<typeof useProvider>['result'];
  /**
   * Mails a sign-in code to `email` (`requestLoginTokenForUser`); makes the account when the address has none,
   * unless `createUser: false`.
   */
  sendLoginCode(input: { email: string; createUser?: boolean; username?: string }): Promise<void>;
  /** Signs in with the mailed code. A user with two-factor on: `challenge` is then set (see below). */
  logInWithEmailCode(input: { email: string; code: string }): Promise<void>;
  /** Finishes a sign-in that asked for the second factor, with an authenticator or recovery code. */
  logInWithTwoFactor(input: { challenge: string; code: string }): Promise<void>;
  /**
   * The challenge of the newest operation when it failed with `TwoFactorRequired` (a password or code sign-in of
   * a user with two-factor on): show a code entry and call `logInWithTwoFactor({ challenge, code })`.
   */
  challenge: string | undefined;
}

function passwordlessOperations(app: App, run: Run): Omit<UsePasswordless, 'result' | 'challenge'> {
  const accounts = () => withPasswordless(createAccounts(app));
  return {
    sendLoginCode: run('sendLoginCode', ({ email, createUser, username }) =>
      accounts().requestLoginTokenForUser({
        selector: email,
        userData: { email, ...(username ? { username } : {}) },
        options: { userCreationDisabled: createUser === false },
      }),
    ),
    logInWithEmailCode: run('logInWithEmailCode', async ({ email, code }: { email: string; code: string }) => {
      await app.logIn(emailCodeCredentials(email, code));
      await accounts().refreshUser();
    }),
    logInWithTwoFactor: run('logInWithTwoFactor', async ({ challenge, code }: { challenge: string; code: string }) => {
      await app.logIn(twoFactorCredentials(challenge, code));
      await accounts().refreshUser();
    }),
  } as Omit<UsePasswordless, 'result' | 'challenge'>;
}

/**
 * Passwordless sign-in by a mailed code, and the two-factor step of any sign-in
 * (`@gatehouse-auth/client/passwordless`), with pending / error state in the provider's `result`.
 *
 * @example
 * ```tsx
 * const { sendLoginCode, logInWithEmailCode, logInWithTwoFactor, challenge, result } = usePasswordless();
 * if (challenge) return <TotpForm onCode={(code) => logInWithTwoFactor({ challenge, code })} />;
 * ```
 */
export function usePasswordless(): UsePasswordless {
  const { result } = useProvider();
  const operations = useOperations(passwordlessOperations);
  const error = result.error as { code?: string; challenge?: unknown } | undefined;
  const challenge =
    error?.code === 'TwoFactorRequired' && typeof error.challenge === 'string' ? error.challenge : undefined;
  return { result, challenge, ...operations };
}

/** What {@link useTwoFactor} returns. The operations resolve when done and never reject: see `result`. */
export interface UseTwoFactor {
  result: ReturnType<typeof useProvider>['result'];
  /** The signed-in user's state: `undefined` while loading (and on the server), `null` when nobody is signed in. */
  status: TwoFactorStatus | null | undefined;
  /** The activation started by `start()`, until `enable()` or `cancel()`: show `svg` as an image. */
  activation: TwoFactorActivation | null;
  /** The recovery codes from the newest `enable()`: show them once, then forget them (`cancel()`). */
  recoveryCodes: string[];
  /** A new secret and its QR code (`generate2faActivationQrCode`). */
  start(appName?: string): Promise<void>;
  /** Turns two-factor on with the first code of the authenticator (`enableUser2fa`). */
  enable(code: string): Promise<void>;
  /** Turns two-factor off (`disableUser2fa`). */
  disable(): Promise<void>;
  /** Drops the activation and the recovery codes shown. */
  cancel(): void;
}

/**
 * The signed-in user's two-factor authentication: its state (loaded in the browser, after the first render,
 * so server rendering shows the loading state) and the operations to turn it on and off.
 *
 * @example
 * ```tsx
 * const { status, activation, start, enable } = useTwoFactor();
 * if (activation) return <img alt="QR code" src={`data:image/svg+xml,${encodeURIComponent(activation.svg)}`} />;
 * ```
 */
export function useTwoFactor(): UseTwoFactor {
  const { result, app } = useProvider();
  const [status, setStatus] = useState<TwoFactorStatus | null | undefined>(undefined);
  const [activation, setActivation] = useState<TwoFactorActivation | null>(null);
  const [recoveryCodes, setRecoveryCodes] = useState<string[]>([]);
  const userId = useUserId();
  // biome-ignore lint/correctness/useExhaustiveDependencies: loaded again for each user who signs in
  useEffect(() => {
    let live = true;
    const user = app.currentUser;
    setStatus(user ? undefined : null);
    if (user)
      twoFactorStatus(user).then(
        (next) => live && setStatus(next),
        () => live && setStatus(undefined),
      );
    return () => {
      live = false;
    };
  }, [app, userId]);
  const build = useCallback(
    (current: App, run: Run) => ({
      start: run('generate2faActivationQrCode', async (appName?: string) =>
        setActivation(await generate2faActivationQrCode(signedIn(current), appName)),
      ),
      enable: run('enableUser2fa', async (code: string) => {
        const { recoveryCodes: codes } = await enableUser2fa(signedIn(current), code);
        setActivation(null);
        setRecoveryCodes(codes);
        setStatus({ enabled: true, recoveryCodesLeft: codes.length });
      }),
      disable: run('disableUser2fa', async () => {
        await disableUser2fa(signedIn(current));
        setStatus({ enabled: false, recoveryCodesLeft: 0 });
      }),
    }),
    [],
  );
  const operations = useOperations(build);
  const cancel = useCallback(() => {
    setActivation(null);
    setRecoveryCodes([]);
  }, []);
  return { result, status, activation, recoveryCodes, cancel, ...operations };
}

function signedIn(app: App): User {
  const user = app.currentUser;
  if (!user) throw new Error('nobody is signed in');
  return user;
}
