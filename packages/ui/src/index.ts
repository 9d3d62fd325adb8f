/**
 * `@gatehouse-auth/ui`: Gatehouse's login UI as web components (Lit), on the SDK's one store. Importing this
 * module defines every element; import one block (`@gatehouse-auth/ui/sign-in`, …) to define only that one.
 *
 * @example
 * ```html
 * <script type="module" src="https://auth.example.com/ui/gatehouse-ui.js"></script>
 * <gatehouse-login-buttons app-id="my-app" base-url="https://auth.example.com"></gatehouse-login-buttons>
 * ```
 */

// The SDK's App, for a page that makes its own (the hosted sign-in page keeps its session in memory only).
export { App, memoryStorage } from '@gatehouse-auth/client';
export { appFor, setDefaultApp } from './app.js';
export { GatehouseElement } from './base.js';
export {
  configureLoginUi,
  type LoginUiOptions,
  loginUiSettings,
  type PasswordSignupFields,
  resetLoginUiConfig,
} from './config.js';
export { GatehouseChangePassword } from './elements/change-password.js';
export { GatehouseConfirmEmail } from './elements/confirm-email.js';
export { GatehouseEmailCode } from './elements/email-code.js';
export { GatehouseForgotPassword } from './elements/forgot-password.js';
export { GatehouseGuest } from './elements/guest.js';
export { GatehouseLoginButtons } from './elements/login-buttons.js';
export { GatehouseOAuthButtons, type LoginWithDetail } from './elements/oauth-buttons.js';
export { GatehouseResetPassword } from './elements/reset-password.js';
export { GatehouseSessions } from './elements/sessions.js';
export { GatehouseSignIn } from './elements/sign-in.js';
export { GatehouseSignUp } from './elements/sign-up.js';
export { GatehouseTwoFactor } from './elements/two-factor.js';
export { GatehouseTwoFactorStep } from './elements/two-factor-step.js';
export { GatehouseUserMenu } from './elements/user-menu.js';
export { type ErrorContext, errorKey } from './errors.js';
export { isRtl, type MessageKey, type Messages, matchLanguage, setMessages, translator } from './i18n/index.js';
