import type { ResumeLogin } from '../../accounts/index.js';
import type { AppSettings, RequestInfo, ServerContext } from '../../context.js';

/** What a connection knows about its login. */
export interface DdpLogin {
  userId: string;
  sessionId: string;
}

/** One method call as a connection hands it over. */
export interface MethodCall {
  readonly ctx: ServerContext;
  readonly app: AppSettings;
  readonly params: unknown[];
  /** The client behind the connection: address (by the one `clientAddress` rule) and user agent. */
  readonly info: RequestInfo;
  /** The connection's current login. */
  readonly login: DdpLogin | null;
  /** Switches the connection's login (and what it publishes of the user). */
  setLogin(login: DdpLogin | null): Promise<void>;
}

/**
 * A DDP method: checks its arguments (Meteor's `check`, every failure `Match failed`), calls the account core,
 * and shapes the result. Errors go out through the one table in `ddp/errors.ts`.
 */
export type DdpMethod = (call: MethodCall) => Promise<unknown>;

/** The value of a successful `login` / `createUser` / `resetPassword` / `verifyEmail` / `getNewToken`. */
export interface LoginResultValue {
  id: string;
  token: string;
  tokenExpires: Date;
  type?: string;
}

/** Makes a new login the connection's, and answers with it as Meteor does. */
export async function loggedIn(
  call: MethodCall,
  started: ResumeLogin,
  type: string | undefined,
): Promise<LoginResultValue> {
  await call.setLogin({ userId: started.userId, sessionId: started.session.id });
  return {
    id: started.userId,
    token: started.token,
    tokenExpires: new Date(started.session.expiresAt),
    ...(type ? { type } : {}),
  };
}
