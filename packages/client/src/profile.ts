import type { ProviderType, UserType } from '@gatehouse-auth/core';
import { badResponse } from './errors.js';
import { asObject } from './transport.js';

/** A user's identity at one provider: the provider's id for the user and the provider's type. */
export interface UserIdentity {
  id: string;
  providerType: ProviderType;
}

/**
 * What the server knows about a user (`data` of the profile), with App Services' snake_case keys
 * renamed the way realm-web renames them. Other keys pass through unchanged.
 */
export interface DefaultUserProfileData {
  name?: string;
  email?: string;
  pictureUrl?: string;
  firstName?: string;
  lastName?: string;
  gender?: string;
  birthday?: string;
  minAge?: string;
  maxAge?: string;
  [key: string]: unknown;
}

/** A fetched profile, as kept in memory and in storage. */
export interface Profile {
  type: UserType | string;
  identities: UserIdentity[];
  data: Record<string, unknown>;
}

const RENAMED: Record<string, string> = {
  picture: 'pictureUrl',
  first_name: 'firstName',
  last_name: 'lastName',
  min_age: 'minAge',
  max_age: 'maxAge',
};

/** The answer of `GET /auth/profile` as a {@link Profile}; the same checks as realm-web's. */
export function parseProfile(body: unknown): Profile {
  const profile = asObject(body);
  const data = asObject(profile?.data);
  if (!profile || typeof profile.type !== 'string' || !Array.isArray(profile.identities) || !data)
    throw badResponse("expected a profile with 'type', 'identities' and 'data'");
  return {
    type: profile.type,
    identities: profile.identities.map((identity) => {
      const { id, provider_type } = asObject(identity) ?? {};
      return { id: id as string, providerType: provider_type as ProviderType };
    }),
    data: Object.fromEntries(Object.entries(data).map(([key, value]) => [RENAMED[key] ?? key, value])),
  };
}
