import { isGatehouseError } from '@gatehouse-auth/core';
import type { AppSettings } from '../context.js';
import { asServiceUnavailable } from '../health/outages.js';
import { MeteorError, type MeteorErrorJson, meteorError } from './wire.js';

/** Since Meteor 3.0.3 credential errors are ambiguous by default (`accounts.ambiguousErrorMessages`). */
export const AMBIGUOUS = 'Something went wrong. Please check your credentials.';

/**
 * The one table from the account core's error codes to the `Meteor.Error`s Meteor's own server gives in the
 * same situation. Methods translate the few errors whose text depends on the method (an expired link) before
 * they reach here; everything else is translated once, here.
 */
export function toMeteorError(thrown: unknown, app: AppSettings): MeteorErrorJson {
  if (thrown instanceof MeteorError) return meteorError(thrown.error, thrown.reason, thrown.details);
  // The database is away: 503 with the wait in `details`, as `Retry-After` says it over HTTP.
  const unavailable = asServiceUnavailable(thrown);
  if (unavailable) return meteorError(503, unavailable.message, unavailable.details);
  if (!isGatehouseError(thrown)) return INTERNAL;
  const ambiguous = app.accounts.ambiguousErrorMessages;
  const details = thrown.details ?? {};
  switch (thrown.code) {
    case 'InvalidPassword': {
      const reason = details.reason;
      const plain =
        reason === 'unknown-user'
          ? 'User not found'
          : reason === 'no-password'
            ? 'User has no password set'
            : 'Incorrect password';
      return meteorError(403, ambiguous ? AMBIGUOUS : plain);
    }
    case 'AccountNameInUse':
      // Meteor raises duplicates through `_handleError`, which makes them ambiguous too; an app that hides
      // which names have accounts never tells, whatever its Meteor setting.
      return meteorError(
        403,
        ambiguous || app.preventAccountEnumeration
          ? AMBIGUOUS
          : details.taken === 'email'
            ? 'Email already exists.'
            : 'Username already exists.',
      );
    case 'LoginTokenInvalid':
      return meteorError(403, ambiguous ? AMBIGUOUS : (LOGIN_TOKEN_TEXT[String(details.reason)] ?? 'Token mismatch'));
    // accounts-2fa raises these through `_handleError` with its own error codes, so the code stays and only
    // the text becomes ambiguous.
    case 'TwoFactorRequired':
      return meteorError('no-2fa-code', ambiguous ? AMBIGUOUS : '2FA code must be informed');
    case 'TwoFactorInvalid':
      return meteorError('invalid-2fa-code', ambiguous ? AMBIGUOUS : 'Invalid 2FA code');
    case 'TwoFactorEnabled':
      return meteorError(
        '2fa-activated',
        'The 2FA is activated. You need to disable the 2FA first before trying to generate a new activation code.',
      );
    case 'UserNotFound':
      return meteorError(403, ambiguous ? AMBIGUOUS : 'User not found');
    case 'TooManyRequests': {
      const seconds = typeof details.retryAfterSeconds === 'number' ? details.retryAfterSeconds : 1;
      return meteorError(
        'too-many-requests',
        `Error, too many requests. Please slow down. You must wait ${seconds} seconds before trying again.`,
        { timeToReset: seconds * 1000 },
      );
    }
    case 'UserDisabled':
      return meteorError(403, 'Login forbidden');
    case 'AuthError':
      // An account whose address is not confirmed yet, in an app that requires confirmation.
      return meteorError(403, 'Email not verified');
    case 'InvalidSession':
    case 'Forbidden':
    case 'PasskeyRejected':
    case 'UserpassTokenInvalid':
      return meteorError(403, thrown.message);
    case 'AuthProviderNotFound':
      return meteorError(400, 'Unrecognized options for login request');
    case 'BadRequest':
    case 'InvalidParameter':
    case 'PasswordPolicy':
    case 'FunctionFailed':
      return meteorError(400, thrown.message);
    case 'NotFound':
    case 'PasskeyNotFound':
      return meteorError(404, thrown.message);
    case 'ServiceBusy':
      return meteorError(503, thrown.message);
    default:
      return INTERNAL;
  }
}

/** accounts-passwordless's texts for a refused login token, by the core's `details.reason`. */
const LOGIN_TOKEN_TEXT: Record<string, string> = {
  'unknown-user': 'User not found',
  'no-token': 'User has no token set',
  expired: 'Expired token',
  'email-mismatch': 'Email or token mismatch',
  mismatch: 'Token mismatch',
};

const INTERNAL: MeteorErrorJson = {
  isClientSafe: true,
  error: 500,
  reason: 'Internal server error',
  message: 'Internal server error [500]',
  errorType: 'Meteor.Error',
};
