import { type CSSProperties, createElement, type ReactElement, useEffect, useRef } from 'react';
import { useApp } from './app-provider.js';

/** Props every Gatehouse UI component takes. */
export interface GatehouseElementProps {
  className?: string;
  style?: CSSProperties;
  /** The language of the texts (default: the page's `lang`). */
  lang?: string;
  /** Texts replacing the catalogue's, for this component only (keys as in docs/ui.md). */
  messages?: Record<string, string>;
  /** A user signed in (`detail.user`). */
  onSignedIn?: (event: CustomEvent<{ user: unknown }>) => void;
  /** The user signed out. */
  onSignedOut?: (event: CustomEvent<null>) => void;
  /** A link to another screen was followed (`detail.to`); `preventDefault()` keeps the page where it is. */
  onNavigate?: (event: CustomEvent<{ to: string }>) => void;
}

const EVENTS = {
  onSignedIn: 'gatehouse-signed-in',
  onSignedOut: 'gatehouse-signed-out',
  onSignedUp: 'gatehouse-signed-up',
  onNavigate: 'gatehouse-navigate',
  onLoginWith: 'gatehouse-login-with',
} as const;

type Attributes = Record<string, string | boolean | undefined>;

/**
 * Renders `<tag>` with `attributes` — on the server too, as plain markup: nothing here touches `window` or
 * `customElements` while rendering. In the browser, after mounting, the element's module is loaded (which
 * defines it), and it gets the provider's `App` and the event handlers.
 */
function useElement(
  tag: string,
  load: () => Promise<unknown>,
  attributes: Attributes,
  props: GatehouseElementProps & Record<string, unknown>,
): ReactElement {
  const app = useApp();
  const ref = useRef<HTMLElement & { app?: unknown; messages?: unknown }>(null);
  useEffect(() => {
    void load();
  }, [load]);
  useEffect(() => {
    const element = ref.current;
    if (!element) return;
    // Set before the element is defined, Lit takes these over when it upgrades the element.
    element.app = app;
    element.messages = props.messages;
  }, [app, props.messages]);
  // Listeners are added once and call the newest handler props, so a new arrow function per render costs nothing.
  const latest = useRef(props);
  latest.current = props;
  useEffect(() => {
    const element = ref.current;
    if (!element) return;
    const listeners = Object.entries(EVENTS).map(([prop, type]) => {
      const listener = (event: Event) => (latest.current[prop] as ((e: Event) => void) | undefined)?.(event);
      element.addEventListener(type, listener);
      return [type, listener] as const;
    });
    return () => {
      for (const [type, listener] of listeners) element.removeEventListener(type, listener);
    };
  }, []);
  const rendered: Record<string, unknown> = { ref, className: props.className, style: props.style, lang: props.lang };
  for (const [name, value] of Object.entries(attributes))
    if (value !== undefined && value !== false) rendered[name] = value === true ? '' : value;
  return createElement(tag, rendered);
}

const loadLoginButtons = () => import('@gatehouse-auth/ui/login-buttons');
const loadSignIn = () => import('@gatehouse-auth/ui/sign-in');
const loadSignUp = () => import('@gatehouse-auth/ui/sign-up');
const loadUserMenu = () => import('@gatehouse-auth/ui/user-menu');

/** `<LoginButtons/>` props: `<gatehouse-login-buttons>`'s attributes (docs/ui.md). */
export interface LoginButtonsProps extends GatehouseElementProps {
  passwordSignupFields?: 'USERNAME_AND_EMAIL' | 'USERNAME_AND_OPTIONAL_EMAIL' | 'USERNAME_ONLY' | 'EMAIL_ONLY';
  align?: 'left' | 'right';
  oauthRedirectUrl?: string;
  onSignedUp?: (event: CustomEvent<{ email: string | null; username: string | null; signedIn: boolean }>) => void;
  /** An external-service button was pressed (see `LoginWithDetail` in `@gatehouse-auth/ui`). */
  onLoginWith?: (
    event: CustomEvent<{ service: string; options: object; waitUntil(p: Promise<unknown>): void }>,
  ) => void;
}

/**
 * Meteor's `{{> loginButtons}}` for React: `<gatehouse-login-buttons>` on the `App` of the nearest
 * `AppProvider`. Renders on the server as an empty custom element; the element's code loads in the browser.
 *
 * @example
 * ```tsx
 * <AppProvider id="my-app" baseUrl="https://auth.example.com">
 *   <LoginButtons align="right" onSignedIn={() => navigate('/home')} />
 * </AppProvider>
 * ```
 */
export function LoginButtons(props: LoginButtonsProps): ReactElement {
  return useElement(
    'gatehouse-login-buttons',
    loadLoginButtons,
    {
      'password-signup-fields': props.passwordSignupFields,
      align: props.align,
      'oauth-redirect-url': props.oauthRedirectUrl,
    },
    props as GatehouseElementProps & Record<string, unknown>,
  );
}

/** `<SignIn/>` props. */
export interface SignInProps extends GatehouseElementProps {
  passwordSignupFields?: LoginButtonsProps['passwordSignupFields'];
  signUpHref?: string;
  forgotPasswordHref?: string;
  noHeading?: boolean;
}

/**
 * The password sign-in form (`<gatehouse-sign-in>`).
 *
 * @example
 * ```tsx
 * <SignIn signUpHref="/sign-up" forgotPasswordHref="/forgot" onSignedIn={() => navigate('/')} />
 * ```
 */
export function SignIn(props: SignInProps): ReactElement {
  return useElement(
    'gatehouse-sign-in',
    loadSignIn,
    {
      'password-signup-fields': props.passwordSignupFields,
      'sign-up-href': props.signUpHref,
      'forgot-password-href': props.forgotPasswordHref,
      'no-heading': props.noHeading,
    },
    props as GatehouseElementProps & Record<string, unknown>,
  );
}

/** `<SignUp/>` props. */
export interface SignUpProps extends GatehouseElementProps {
  passwordSignupFields?: LoginButtonsProps['passwordSignupFields'];
  signInHref?: string;
  noHeading?: boolean;
  onSignedUp?: LoginButtonsProps['onSignedUp'];
}

/**
 * The sign-up form (`<gatehouse-sign-up>`), with the app's password rules shown before submit.
 *
 * @example
 * ```tsx
 * <SignUp signInHref="/sign-in" onSignedUp={({ detail }) => detail.signedIn || showCheckInbox()} />
 * ```
 */
export function SignUp(props: SignUpProps): ReactElement {
  return useElement(
    'gatehouse-sign-up',
    loadSignUp,
    {
      'password-signup-fields': props.passwordSignupFields,
      'sign-in-href': props.signInHref,
      'no-heading': props.noHeading,
    },
    props as GatehouseElementProps & Record<string, unknown>,
  );
}

/** `<UserButton/>` props. */
export interface UserButtonProps extends GatehouseElementProps {
  align?: 'left' | 'right';
  signInHref?: string;
  changePasswordHref?: string;
  sessionsHref?: string;
}

/**
 * The signed-in user's name opening a menu: change password, your devices, sign out (`<gatehouse-user-menu>`).
 *
 * @example
 * ```tsx
 * <UserButton align="right" signInHref="/sign-in" changePasswordHref="/account/password" />
 * ```
 */
export function UserButton(props: UserButtonProps): ReactElement {
  return useElement(
    'gatehouse-user-menu',
    loadUserMenu,
    {
      align: props.align,
      'sign-in-href': props.signInHref,
      'change-password-href': props.changePasswordHref,
      'sessions-href': props.sessionsHref,
    },
    props as GatehouseElementProps & Record<string, unknown>,
  );
}
