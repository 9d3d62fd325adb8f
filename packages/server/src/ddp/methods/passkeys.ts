import type { UserRecord } from '@gatehouse-auth/storage';
import { z } from 'zod';
import {
  listPasskeys,
  passkeyAuthenticationOptions,
  passkeyRegistrationOptions,
  registerPasskey,
  removePasskey,
  renamePasskey,
} from '../../accounts/index.js';
import { registrationResponse } from '../../providers/passkey/schemas.js';
import { MeteorError, matchFailed } from '../wire.js';
import type { DdpMethod, MethodCall } from './method.js';

/**
 * Passkeys over DDP, Gatehouse's extension for Meteor apps (docs/passkeys.md): the same core calls as the HTTP
 * routes. `passkeys.loginOptions` for anyone (then `login({ passkey: { response } })`); the others for the
 * connection's logged-in user.
 */
export const passkeyMethods: [string, DdpMethod][] = [
  ['passkeys.loginOptions', async (call) => passkeyAuthenticationOptions(call.ctx, call.app)],
  [
    'passkeys.registrationOptions',
    async (call) => passkeyRegistrationOptions(call.ctx, call.app, await loggedInUser(call)),
  ],
  [
    'passkeys.register',
    async (call) => {
      const [input] = args(call, z.tuple([z.object({ response: registrationResponse, name: name.optional() })]));
      return registerPasskey(call.ctx, call.app, await loggedInUser(call), input, call.info);
    },
  ],
  ['passkeys.list', async (call) => listPasskeys(call.ctx, await loggedInUser(call))],
  [
    'passkeys.rename',
    async (call) => {
      const [id, newName] = args(call, z.tuple([passkeyId, name]));
      await renamePasskey(call.ctx, await loggedInUser(call), id, newName, call.info);
      return undefined;
    },
  ],
  [
    'passkeys.remove',
    async (call) => {
      const [id] = args(call, z.tuple([passkeyId]));
      await removePasskey(call.ctx, await loggedInUser(call), id, call.info);
      return undefined;
    },
  ],
];

const passkeyId = z.string().min(1).max(64);
const name = z.string().max(100);

function args<T>(call: MethodCall, schema: z.ZodType<T>): T {
  const parsed = schema.safeParse(call.params);
  if (!parsed.success) throw matchFailed();
  return parsed.data;
}

async function loggedInUser(call: MethodCall): Promise<UserRecord> {
  const user = call.login ? await call.ctx.storage.getUser(call.app.id, call.login.userId) : null;
  if (!user) throw new MeteorError(403, 'You must be logged in');
  return user;
}
