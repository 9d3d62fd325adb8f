import { App, type AppConfiguration, type AuthSnapshot } from '@gatehouse-auth/client';
import {
  createContext,
  createElement,
  type Dispatch,
  type ReactNode,
  type SetStateAction,
  useContext,
  useState,
  useSyncExternalStore,
} from 'react';

/** Names of the operations `useAuth`, `useEmailPasswordAuth`, `usePasskeys`, `usePasswordless` and `useTwoFactor` run (as `@realm/react`'s `AuthOperationName`). */
export type AuthOperationName =
  | 'none'
  | 'logIn'
  | 'logInWithAnonymous'
  | 'logInWithApiKey'
  | 'logInWithEmailPassword'
  | 'logInWithJWT'
  | 'logInWithGoogle'
  | 'logInWithApple'
  | 'logInWithFacebook'
  | 'logInWithFunction'
  | 'logInWithService'
  | 'logOut'
  | 'register'
  | 'confirm'
  | 'resendConfirmationEmail'
  | 'retryCustomConfirmation'
  | 'sendResetPasswordEmail'
  | 'resetPassword'
  | 'callResetPasswordFunction'
  | 'logInWithPasskey'
  | 'registerPasskey'
  | 'renamePasskey'
  | 'removePasskey'
  | 'sendLoginCode'
  | 'logInWithEmailCode'
  | 'logInWithTwoFactor'
  | 'generate2faActivationQrCode'
  | 'enableUser2fa'
  | 'disableUser2fa';

/**
 * The state of the newest operation started through `useAuth` or `useEmailPasswordAuth` under one
 * `AppProvider` — shared by every component there, so a spinner and a form agree.
 */
export interface AuthResult {
  state: 'not-started' | 'pending' | 'success' | 'error';
  operation: AuthOperationName;
  pending: boolean;
  success: boolean;
  /** The error of a failed operation (a `ServerError` with the server's `code` for refusals). */
  error: Error | undefined;
}

export const NOT_STARTED: AuthResult = {
  state: 'not-started',
  operation: 'none',
  pending: false,
  success: false,
  error: undefined,
};

interface ProviderValue {
  app: App;
  result: AuthResult;
  setResult: Dispatch<SetStateAction<AuthResult>>;
}

const AppContext = createContext<ProviderValue | null>(null);

/** `AppProvider`'s props: an `App` you made, or the configuration to make one with. */
export type AppProviderProps = ({ app: App } | (AppConfiguration & { app?: undefined })) & { children?: ReactNode };

/**
 * Makes an `App` available to the hooks below it. Pass `app` (an `App` made once, outside React), or the
 * configuration (`id`, `baseUrl`, …): the `App` is then made on the first render and kept.
 *
 * @example
 * ```tsx
 * <AppProvider id="my-app" baseUrl="https://auth.example.com">
 *   <Root />
 * </AppProvider>
 * ```
 */
export function AppProvider(props: AppProviderProps): ReactNode {
  const { children, ...config } = props;
  const [app] = useState(() => (config.app instanceof App ? config.app : new App(config as AppConfiguration)));
  const [result, setResult] = useState(NOT_STARTED);
  return createElement(AppContext.Provider, { value: { app, result, setResult } }, children);
}

/** @internal The provider's value; throws outside an `AppProvider`. */
export function useProvider(): ProviderValue {
  const value = useContext(AppContext);
  if (!value) throw new Error('Gatehouse hooks must be used inside an <AppProvider>');
  return value;
}

/**
 * The `App` of the nearest `AppProvider`.
 *
 * @example
 * ```ts
 * const app = useApp();
 * await app.emailPasswordAuth.registerUser({ email, password });
 * ```
 */
export function useApp(): App {
  return useProvider().app;
}

/**
 * The app's {@link AuthSnapshot}: current user, all users, `loggingIn`, `loggingOut`. The component renders
 * again whenever it changes — also when the current user's tokens, profile or state change.
 *
 * @example
 * ```tsx
 * const { currentUser, loggingIn } = useAuthSnapshot();
 * ```
 */
export function useAuthSnapshot(): AuthSnapshot {
  const app = useApp();
  return useSyncExternalStore(app.subscribe, app.getSnapshot, app.getSnapshot);
}
