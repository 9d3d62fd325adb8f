import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { GatehouseMetrics } from '../metrics/index.js';

/** The metrics listener: `GET /metrics` in Prometheus' text format, nothing else. */
export interface MetricsServer {
  /** `http://host:port/metrics`. */
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * Serves Gatehouse's metrics at `/metrics` on a listener of their own — an address and port the public
 * proxy does not forward to, so the metrics are never on the internet by accident. `gatehouse serve` and
 * `gatehouse dev` start it when `metrics.enabled`; a program using `serveNode` calls it itself.
 *
 * @example
 * ```ts
 * const gatehouse = await createGatehouse({ ...config, metrics: { enabled: true } });
 * const metrics = await serveMetrics(gatehouse.metrics!, { host: '127.0.0.1', port: 9464 });
 * ```
 */
export async function serveMetrics(
  metrics: Pick<GatehouseMetrics, 'text' | 'contentType'>,
  options: { host?: string; port?: number } = {},
): Promise<MetricsServer> {
  const server: Server = createServer({ requestTimeout: 10_000, headersTimeout: 5_000 }, (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found: metrics are at /metrics\n');
      return;
    }
    metrics.text().then(
      (text) => res.writeHead(200, { 'content-type': metrics.contentType }).end(req.method === 'HEAD' ? '' : text),
      (error: unknown) =>
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end(`${(error as Error).message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 9464, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}/metrics`,
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
