import type { PathCall } from './context.js';
import { badResponse } from './errors.js';
import { AUTH, asObject, readBody } from './transport.js';

/** One of a user's live sessions (a login on some device), as `user.sessions.list()` returns it. */
export interface SessionInfo {
  /** The session's id, for {@link SessionAuth.revoke}. */
  id: string;
  /** The device id the login was made with. */
  deviceId: string;
  /** The provider the session logged in with (`local-userpass`, `anon-user`, `oauth2-google`, …). */
  providerType: string;
  /** `refresh` (an App Services login: this SDK, realm-web) or `resume` (a Meteor login over DDP). */
  kind: string;
  createdAt: Date;
  lastUsedAt: Date;
  expiresAt: Date;
  /** The session this user is signed in with here. */
  current: boolean;
}

/**
 * A user's sessions on every device (`user.sessions`), sent with the user's access token: Gatehouse's
 * extension routes `GET /auth/sessions`, `DELETE /auth/sessions/<id>` and `POST /auth/sessions/logout-others`.
 *
 * @example
 * ```ts
 * const sessions = await user.sessions.list();
 * if (sessions.length > 1) await user.sessions.revokeOthers();
 * ```
 */
export interface SessionAuth {
  /** The user's live sessions, newest first; the one of this device has `current: true`. */
  list(): Promise<SessionInfo[]>;
  /**
   * Ends one session (another device's; ending this one is what `user.logOut()` does).
   *
   * @throws TypeError (at once) when `sessionId` is not a non-empty string.
   */
  revoke(sessionId: string): Promise<void>;
  /** Ends every session of the user except this one; resolves with how many ended. */
  revokeOthers(): Promise<number>;
}

/** @internal `user.sessions` over the user's authenticated `send`. */
export function sessionAuth(send: (call: PathCall) => Promise<Response>): SessionAuth {
  return {
    async list() {
      const body = await readBody(await send({ method: 'GET', path: `${AUTH}/sessions` }));
      if (!Array.isArray(body)) throw badResponse('expected a list of sessions');
      return body.map((raw) => {
        const s = asObject(raw) ?? {};
        return {
          id: String(s.id),
          deviceId: String(s.device_id),
          providerType: String(s.provider_type),
          kind: String(s.kind),
          createdAt: new Date(Number(s.created_at)),
          lastUsedAt: new Date(Number(s.last_used_at)),
          expiresAt: new Date(Number(s.expires_at)),
          current: s.current === true,
        };
      });
    },
    revoke(sessionId) {
      // At once, not as a rejection: a misuse, like the SDK's other argument checks.
      if (typeof sessionId !== 'string' || sessionId === '')
        throw new TypeError('a session id must be a non-empty string');
      return send({ method: 'DELETE', path: `${AUTH}/sessions/${encodeURIComponent(sessionId)}` }).then(() => {});
    },
    async revokeOthers() {
      const body = asObject(await readBody(await send({ method: 'POST', path: `${AUTH}/sessions/logout-others` })));
      return typeof body?.revoked === 'number' ? body.revoked : 0;
    },
  };
}
