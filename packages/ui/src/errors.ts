import { isGatehouseError } from '@gatehouse-auth/client';
import { en } from './i18n/en.js';

/** Where an error happened, for the codes whose words depend on it. */
export type ErrorContext = 'signIn' | 'signInName' | 'signUp' | 'changePassword' | 'oauth' | 'other';

/**
 * The message key for an error: the server's stable code in words (never its English message), a network
 * failure as such, and anything else as "something went wrong".
 *
 * @example
 * ```ts
 * errorKey(new GatehouseError('InvalidPassword', '…'), 'signIn'); // 'error.credentials'
 * ```
 */
export function errorKey(error: unknown, context: ErrorContext): string {
  if (!isGatehouseError(error)) return error instanceof TypeError ? 'error.network' : 'error.server';
  const { code } = error;
  if (code === 'InvalidPassword') {
    if (context === 'changePassword') return 'error.currentPassword';
    return context === 'signInName' ? 'error.credentialsName' : 'error.credentials';
  }
  if (context === 'oauth' && (code === 'AuthError' || code === 'BadRequest')) return 'error.popup';
  if (code === 'Forbidden' && context === 'signUp') return 'error.signUpClosed';
  if (code === 'InvalidParameter') return 'error.BadRequest';
  return `error.${code}` in en ? `error.${code}` : 'error.server';
}
