import type { RequestInfo } from '../context.js';

/** Hono environment of Gatehouse's routes: the transport's facts about the request arrive as bindings. */
export interface GatehouseEnv {
  Bindings: { requestInfo: RequestInfo };
}
