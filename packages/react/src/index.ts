/**
 * `@gatehouse-auth/react`: React hooks over `@gatehouse-auth/client`'s store. The logic lives in the client; these are
 * thin readers of its snapshot (`useSyncExternalStore`) and wrappers that keep an operation's state.
 *
 * @example
 * ```tsx
 * import { AppProvider, useAuth, useUser } from '@gatehouse-auth/react';
 *
 * function Greeting() {
 *   const user = useUser();
 *   const { logInWithAnonymous, logOut, result } = useAuth();
 *   if (!user) return <button onClick={logInWithAnonymous} disabled={result.pending}>Try it</button>;
 *   return <button onClick={logOut}>Log out {user.id}</button>;
 * }
 *
 * <AppProvider id="my-app" baseUrl="https://auth.example.com"><Greeting /></AppProvider>;
 * ```
 */
export {
  AppProvider,
  type AppProviderProps,
  type AuthOperationName,
  type AuthResult,
  useApp,
  useAuthSnapshot,
} from './app-provider.js';
export {
  type GatehouseElementProps,
  LoginButtons,
  type LoginButtonsProps,
  SignIn,
  type SignInProps,
  SignUp,
  type SignUpProps,
  UserButton,
  type UserButtonProps,
} from './components.js';
export { useAllUsers, useLoggingIn, useLoggingOut, useMeteorUser, useUser, useUserId } from './hooks.js';
export { type UseAuth, type UseEmailPasswordAuth, useAuth, useEmailPasswordAuth } from './use-auth.js';
export { type UsePasskeys, usePasskeys } from './use-passkeys.js';
export { type UsePasswordless, type UseTwoFactor, usePasswordless, useTwoFactor } from './use-passwordless.js';
