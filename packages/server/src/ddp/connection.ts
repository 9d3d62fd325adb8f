import { randomSecret } from '@gatehouse-auth/core';
import type { UserRecord } from '@gatehouse-auth/storage';
import { isActive, meteorUserDocument } from '../accounts/index.js';
import type { AppSettings, RequestInfo, ServerContext } from '../context.js';
import { loginServiceDocuments } from '../oauth/meteor/public.js';
import { toMeteorError } from './errors.js';
import { type DdpLogin, ddpMethods, type MethodCall } from './methods/index.js';
import { DDP_VERSIONS, type DdpMessage, MeteorError, parseFrame, stringifyFrame } from './wire.js';

/** The transport a DDP connection writes to (a WebSocket, or a test double). */
export interface DdpSocket {
  send(text: string): void;
  close(code?: number, reason?: string): void;
}

/** Meteor's default DDP rate limit: 5 calls per 10 s per connection and method, for these methods. */
const LIMITED_METHODS = new Set(['login', 'createUser', 'resetPassword', 'forgotPassword']);
const LIMIT = 5;
const LIMIT_WINDOW_MS = 10_000;

/** Meteor's server heartbeat: a `ping` after this much silence, then this long for any answer. */
export interface DdpHeartbeat {
  /** 0 turns the heartbeat off. */
  intervalMs: number;
  timeoutMs: number;
}
const DEFAULT_HEARTBEAT: DdpHeartbeat = { intervalMs: 15_000, timeoutMs: 15_000 };

/** Messages a connection may have waiting; a client that floods beyond this is disconnected. */
const MAX_PENDING_MESSAGES = 100;

/**
 * One DDP session (a class: it has state and a lifetime). Messages are handled one at a time, in order, as
 * Meteor runs a connection's methods; the logged-in user's own document is published into `users`
 * (`username`, `emails`, `profile` — never services).
 */
export class DdpConnection {
  readonly #ctx: ServerContext;
  readonly #app: AppSettings;
  readonly #socket: DdpSocket;
  readonly #info: RequestInfo;
  #connected = false;
  #login: DdpLogin | null = null;
  /** The user document last sent to the client (`users` collection), to send only what changed. */
  #published: { userId: string; fields: Record<string, unknown> } | null = null;
  #queue: Promise<void> = Promise.resolve();
  #pending = 0;
  #closed = false;
  readonly #calls = new Map<string, { count: number; resetAt: number }>();

  readonly #heartbeat: DdpHeartbeat;
  #heartbeatTimer: ReturnType<typeof setTimeout> | undefined;
  #awaitingPong = false;
  /** Until `connect`: the connect timeout; on a `pre1` connection (no heartbeat): the idle limit. */
  #idleTimer: ReturnType<typeof setTimeout> | undefined;
  #pre1 = false;

  constructor(
    ctx: ServerContext,
    app: AppSettings,
    socket: DdpSocket,
    info: RequestInfo & { heartbeat?: DdpHeartbeat },
  ) {
    this.#ctx = ctx;
    this.#app = app;
    this.#socket = socket;
    // The upgrade request's Accept-Language: the language of the account mails this connection causes.
    this.#info = { address: info.address, userAgent: info.userAgent, acceptLanguage: info.acceptLanguage ?? null };
    this.#heartbeat = info.heartbeat ?? DEFAULT_HEARTBEAT;
    // A socket that never says `connect` would otherwise stay open forever.
    this.#idleTimer = setTimeout(() => this.close(1008, 'DDP connect expected'), ctx.config.ddp.connectTimeoutMs);
    this.#idleTimer.unref?.();
  }

  /** DDP `pre1` has no heartbeat: a connection that says nothing for `pre1IdleTimeout` is closed instead. */
  #resetPre1Idle(): void {
    clearTimeout(this.#idleTimer);
    if (this.#closed) return;
    this.#idleTimer = setTimeout(() => this.close(1000, 'DDP connection idle'), this.#ctx.config.ddp.pre1IdleTimeoutMs);
    this.#idleTimer.unref?.();
  }

  /**
   * Meteor's server heartbeat (15 s / 15 s): after `intervalMs` without a message from the client
   * the server sends `ping`; a client that says nothing within `timeoutMs` more is gone, and the connection
   * closes. Any message counts as a sign of life. Not for DDP `pre1`, which had no heartbeat.
   */
  #resetHeartbeat(): void {
    clearTimeout(this.#heartbeatTimer);
    this.#awaitingPong = false;
    if (this.#closed || this.#heartbeat.intervalMs <= 0) return;
    this.#heartbeatTimer = setTimeout(() => this.#heartbeatDue(), this.#heartbeat.intervalMs);
    this.#heartbeatTimer.unref?.();
  }

  #heartbeatDue(): void {
    if (this.#closed) return;
    if (this.#awaitingPong) {
      this.close(1000, 'DDP heartbeat timed out');
      return;
    }
    this.#awaitingPong = true;
    this.#send({ msg: 'ping' });
    this.#heartbeatTimer = setTimeout(() => this.#heartbeatDue(), this.#heartbeat.timeoutMs);
    this.#heartbeatTimer.unref?.();
  }

  /** The login behind this connection, if any. */
  get login(): DdpLogin | null {
    return this.#login;
  }

  /** A frame arrived. Handled after the ones before it. */
  receive(text: string): void {
    if (this.#closed) return;
    if (this.#heartbeatTimer !== undefined) this.#resetHeartbeat();
    if (this.#pre1) this.#resetPre1Idle();
    if (++this.#pending > MAX_PENDING_MESSAGES) {
      this.close(1008, 'too many messages');
      return;
    }
    this.#queue = this.#queue
      .then(() => this.#handle(text))
      .catch((error) => this.#ctx.logger.error({ err: describe(error) }, 'DDP message failed'))
      .finally(() => {
        this.#pending--;
      });
  }

  /** Ends the connection (the socket closed, or the session behind it was revoked). */
  close(code = 1000, reason = ''): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#heartbeatTimer);
    clearTimeout(this.#idleTimer);
    try {
      this.#socket.close(code, reason);
    } catch {
      // already gone
    }
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Brings the connection up to date with the database: closes it if its session was revoked or expired
   * elsewhere, and sends `changed` for fields of the published user document that changed —
   * whoever changed them (HTTP, the CLI, another instance). It waits for the messages before it: a method that
   * ends the connection's session and logs it in anew (`resetPassword`) is judged by its outcome.
   */
  sync(): Promise<void> {
    const done = this.#queue.then(() => this.#sync());
    this.#queue = done.catch(() => {});
    return done;
  }

  async #sync(): Promise<void> {
    const login = this.#login;
    if (!login || this.#closed) return;
    const session = await this.#ctx.storage.getSession(this.#app.id, login.sessionId);
    if (!session || !isActive(session, this.#ctx.now())) {
      this.close(1000, 'logged out');
      return;
    }
    const published = this.#published;
    if (!published || published.userId !== login.userId) return;
    const user = await this.#ctx.storage.getUser(this.#app.id, login.userId);
    if (!user || this.#closed || this.#published !== published) return;
    const next = publishedFields(user);
    const fields: Record<string, unknown> = {};
    const cleared: string[] = [];
    for (const key of new Set([...Object.keys(published.fields), ...Object.keys(next)])) {
      if (!(key in next)) cleared.push(key);
      else if (JSON.stringify(next[key]) !== JSON.stringify(published.fields[key])) fields[key] = next[key];
    }
    if (Object.keys(fields).length === 0 && cleared.length === 0) return;
    this.#published = { userId: user.id, fields: next };
    this.#send({
      msg: 'changed',
      collection: 'users',
      id: user.id,
      ...(Object.keys(fields).length ? { fields } : {}),
      ...(cleared.length ? { cleared } : {}),
    });
  }

  #send(message: Record<string, unknown>): void {
    if (!this.#closed) this.#socket.send(stringifyFrame(message));
  }

  async #handle(text: string): Promise<void> {
    const message = parseFrame(text);
    if (!message) {
      this.#send({ msg: 'error', reason: 'Bad request', offendingMessage: text.length > 1024 ? undefined : text });
      return;
    }
    if (!this.#connected) {
      if (message.msg !== 'connect') {
        this.#send({ msg: 'error', reason: 'Must connect first', offendingMessage: message });
        return;
      }
      const wanted = message.version;
      if (typeof wanted !== 'string' || !(DDP_VERSIONS as readonly string[]).includes(wanted)) {
        this.#send({ msg: 'failed', version: DDP_VERSIONS[0] });
        this.close(1002, 'unsupported DDP version');
        return;
      }
      this.#connected = true;
      clearTimeout(this.#idleTimer);
      if (wanted !== 'pre1') this.#resetHeartbeat();
      else {
        this.#pre1 = true;
        this.#resetPre1Idle();
      }
      this.#send({ msg: 'connected', session: randomSecret(12) });
      return;
    }
    switch (message.msg) {
      case 'ping':
        this.#send(typeof message.id === 'string' ? { msg: 'pong', id: message.id } : { msg: 'pong' });
        return;
      case 'pong':
        return;
      case 'method':
        await this.#method(message);
        return;
      case 'sub':
        await this.#subscribe(message);
        return;
      case 'unsub':
        if (typeof message.id === 'string') this.#send({ msg: 'nosub', id: message.id });
        return;
      case 'connect':
        this.#send({ msg: 'error', reason: 'Already connected', offendingMessage: message });
        return;
      default:
        this.#send({ msg: 'error', reason: 'Bad request', offendingMessage: message });
    }
  }

  async #subscribe(message: DdpMessage): Promise<void> {
    const { id, name } = message;
    if (typeof id !== 'string' || typeof name !== 'string') {
      this.#send({ msg: 'error', reason: 'Bad request', offendingMessage: message });
      return;
    }
    // The login service configuration: the app's OAuth services, public settings only.
    if (name === 'meteor.loginServiceConfiguration') {
      for (const fields of await loginServiceDocuments(this.#ctx, this.#app)) {
        const id = fields.service as string;
        this.#send({ msg: 'added', collection: 'meteor_accounts_loginServiceConfiguration', id, fields });
      }
      this.#send({ msg: 'ready', subs: [id] });
    } else
      this.#send({
        msg: 'nosub',
        id,
        error: {
          isClientSafe: true,
          error: 404,
          reason: `Subscription '${name}' not found`,
          message: `Subscription '${name}' not found [404]`,
          errorType: 'Meteor.Error',
        },
      });
  }

  async #method(message: DdpMessage): Promise<void> {
    const { id, method } = message;
    const params = message.params === undefined ? [] : message.params;
    if (typeof id !== 'string' || typeof method !== 'string' || !Array.isArray(params)) {
      this.#send({ msg: 'error', reason: 'Bad request', offendingMessage: message });
      return;
    }
    let reply: Record<string, unknown>;
    try {
      this.#rateLimit(method);
      const handler = ddpMethods.get(method);
      if (!handler) throw new MeteorError(404, `Method '${method.slice(0, 100)}' not found`);
      const result = await handler(this.#callOf(params));
      reply = { msg: 'result', id, ...(result === undefined ? {} : { result }) };
    } catch (error) {
      const wire = toMeteorError(error, this.#app);
      if (wire.error === 500 && !this.#ctx.outages.note(error, 'DDP method'))
        this.#ctx.logger.warn({ err: describe(error), method }, 'DDP method failed');
      reply = { msg: 'result', id, error: wire };
    }
    this.#send(reply);
    this.#send({ msg: 'updated', methods: [id] });
  }

  /** Counts first, then refuses the 6th call within the window; refused calls count too. */
  #rateLimit(method: string): void {
    if (!LIMITED_METHODS.has(method)) return;
    const now = this.#ctx.now();
    let window = this.#calls.get(method);
    if (!window || window.resetAt <= now) {
      window = { count: 0, resetAt: now + LIMIT_WINDOW_MS };
      this.#calls.set(method, window);
    }
    window.count++;
    if (window.count > LIMIT) {
      const timeToReset = window.resetAt - now;
      throw new MeteorError(
        'too-many-requests',
        `Error, too many requests. Please slow down. You must wait ${Math.ceil(timeToReset / 1000)} seconds before trying again.`,
        { timeToReset },
      );
    }
  }

  #callOf(params: unknown[]): MethodCall {
    return {
      ctx: this.#ctx,
      app: this.#app,
      params,
      info: this.#info,
      login: this.#login,
      setLogin: (login) => this.#setLogin(login),
    };
  }

  /** Switches the connection's user and publishes that user's own document (or removes the old one). */
  async #setLogin(login: DdpLogin | null): Promise<void> {
    this.#login = login;
    const previous = this.#published?.userId ?? null;
    if (previous && previous !== login?.userId) {
      this.#send({ msg: 'removed', collection: 'users', id: previous });
      this.#published = null;
    }
    if (login && previous !== login.userId) {
      const user = await this.#ctx.storage.getUser(this.#app.id, login.userId);
      if (!user) return;
      const fields = publishedFields(user);
      this.#send({ msg: 'added', collection: 'users', id: user.id, fields });
      this.#published = { userId: user.id, fields };
    }
  }
}

/** What Meteor publishes of the logged-in user: `username`, `emails`, `profile` — never services. */
function publishedFields(user: UserRecord): Record<string, unknown> {
  const { _id, createdAt, ...fields } = meteorUserDocument(user);
  return fields;
}

function describe(error: unknown): object {
  return error instanceof Error
    ? { type: error.name, message: error.message, stack: error.stack }
    : { value: String(error) };
}
