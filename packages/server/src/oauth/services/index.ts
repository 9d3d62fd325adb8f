import { apple } from './apple.js';
import { facebook } from './facebook.js';
import { github } from './github.js';
import { google } from './google.js';
import { meetup } from './meetup.js';
import { meteorDeveloper } from './meteor-developer.js';
import { genericOidcService } from './oidc.js';
import type { ExternalService } from './service.js';
import { twitter } from './twitter.js';
import { weibo } from './weibo.js';

/**
 * The external services Gatehouse knows by name (Meteor's `<name>-oauth` packages). Any other name may be
 * configured as a generic OpenID Connect service (`type: 'oidc'`).
 */
export const builtInServices: ReadonlyMap<string, ExternalService> = new Map(
  ([google, facebook, github, twitter, meetup, weibo, meteorDeveloper, apple] as ExternalService[]).map((s) => [
    s.name,
    s,
  ]),
);

/** Service names: lowercase letters, digits and `-`, as Meteor's (`meteor-developer`). */
export const SERVICE_NAME = /^[a-z][a-z0-9-]{0,39}$/;

/** Names that are Meteor's internal services, never an external one (`updateOrCreateUserFromExternalService`). */
const RESERVED = new Set(['password', 'resume', 'email', 'apple-id']);

/**
 * The service a configuration names: a built-in one, or a generic OpenID Connect one when its settings say
 * `type: 'oidc'`; `null` for anything else.
 */
export function serviceNamed(name: string, raw: unknown): ExternalService | null {
  if (!SERVICE_NAME.test(name) || RESERVED.has(name)) return null;
  const builtIn = builtInServices.get(name);
  if (builtIn) return builtIn;
  const type = raw && typeof raw === 'object' ? (raw as { type?: unknown }).type : undefined;
  return type === 'oidc' ? genericOidcService(name) : null;
}

export type { ExternalService, LoginOptions, OAuth1Service, OAuth2Service, ServiceOutcome } from './service.js';
