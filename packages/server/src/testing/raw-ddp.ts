import WebSocket from 'ws';

/** A minimal DDP client over a raw WebSocket, for the protocol's edges. */
export class RawDdp {
  readonly messages: any[] = [];
  #waiters: { match: (m: any) => boolean; resolve: (m: any) => void }[] = [];
  #id = 0;
  closed: Promise<{ code: number }>;
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const message = JSON.parse(data.toString());
      this.messages.push(message);
      for (const w of [...this.#waiters]) {
        if (w.match(message)) {
          this.#waiters.splice(this.#waiters.indexOf(w), 1);
          w.resolve(message);
        }
      }
    });
    this.closed = new Promise((resolve) => ws.on('close', (code) => resolve({ code })));
  }
  /** Opens a connection; `headers` go on the WebSocket upgrade request (e.g. `X-Forwarded-For` through a proxy). */
  static async open(url: string, connect = true, headers?: Record<string, string>): Promise<RawDdp> {
    const ws = new WebSocket(url, headers ? { headers } : undefined);
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const client = new RawDdp(ws);
    if (connect) {
      client.send({ msg: 'connect', version: '1', support: ['1', 'pre2', 'pre1'] });
      await client.next((m) => m.msg === 'connected');
    }
    return client;
  }
  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }
  next(match: (m: any) => boolean, timeoutMs = 5000): Promise<any> {
    const seen = this.messages.find(match);
    if (seen) {
      this.messages.splice(this.messages.indexOf(seen), 1);
      return Promise.resolve(seen);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no such DDP message')), timeoutMs);
      this.#waiters.push({
        match,
        resolve: (m) => {
          clearTimeout(timer);
          this.messages.splice(this.messages.indexOf(m), 1);
          resolve(m);
        },
      });
    });
  }
  async call(method: string, ...params: unknown[]): Promise<{ result?: any; error?: any }> {
    const id = String(++this.#id);
    this.send({ msg: 'method', id, method, params });
    const reply = await this.next((m) => m.msg === 'result' && m.id === id);
    return { result: reply.result, error: reply.error };
  }
  close(): void {
    this.ws.close();
  }
}
