import {
  AggregatorRegistry,
  collectDefaultMetrics,
  type MetricObjectWithValues,
  type MetricValue,
  Registry,
} from 'prom-client';
import { registerBuildInfo, registerHashingMetrics } from './index.js';

/** One process's metrics as prom-client gives them (`registry.getMetricsAsJSON()`), sent over the IPC channel. */
export type ProcessMetrics = MetricObjectWithValues<MetricValue<string>>[];

/** The metrics of the primary of `gatehouse serve --workers`, which serves them for the whole cluster. */
export interface ClusterMetrics {
  /** How long one password hash waited for a thread of the primary's pool (the pool's `onWait`). */
  observeHashWait(seconds: number): void;
  /**
   * Every process's metrics as one, in Prometheus' text format: the primary's own (the hashing pool, its
   * process figures) and each worker's, merged as each metric says (`aggregator`; summed by default).
   */
  text(workers: readonly unknown[][]): Promise<string>;
  readonly contentType: string;
}

/**
 * Creates the primary's metrics. The primary owns the hashing pool, so the hashing gauges and the wait
 * histogram are its figures; a worker reports none of its own (its pool is a stand-in that asks the primary).
 *
 * @example
 * ```ts
 * const metrics = createClusterMetrics(() => pool.stats());
 * const pool = createHashPool({}, { onWait: metrics.observeHashWait });
 * const text = await metrics.text(await hub.collectMetrics());
 * ```
 */
export function createClusterMetrics(hashing: () => { running: number; queued: number }): ClusterMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  registerBuildInfo([registry]);
  const hashWait = registerHashingMetrics([registry], hashing);
  return {
    observeHashWait: (seconds) => hashWait.observe(seconds),
    contentType: registry.contentType,
    async text(workers) {
      const own = (await registry.getMetricsAsJSON()) as ProcessMetrics;
      // The workers' arrays are their own registries' JSON, from this cluster's IPC channel.
      return AggregatorRegistry.aggregate([own, ...(workers as ProcessMetrics[])]).metrics();
    },
  };
}
