import type { Authenticated } from '../accounts/index.js';
import type { RequestInfo } from '../context.js';

/**
 * Hono environment of Gatehouse's routes: the transport's facts about the request arrive as bindings (the
 * client address already resolved by the one `clientAddress` rule); `requireAccess` / `requireRefresh` put
 * the authenticated app, user and session in `auth`.
 */
export interface GatehouseEnv {
  Bindings: { requestInfo: RequestInfo };
  Variables: { auth: Authenticated };
}
