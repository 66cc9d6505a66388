import type { SecretCache } from 'coffer';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The agent's Prometheus metrics, in a registry of its own (two agents in one process never share counters).
 * Labels name routes, operations and outcomes; never a secret, a value or a token.
 */
export class AgentMetrics {
  readonly registry = new Registry();
  readonly #caches: SecretCache[] = [];
  readonly #requests: Histogram<'route' | 'status'>;
  readonly #upstream: Counter<'operation' | 'outcome'>;
  /** Totals already passed on from each cache's stats(), so counters move by the difference. */
  readonly #seen = new WeakMap<SecretCache, { hits: number; misses: number; staleServes: number }>();

  constructor(openConnections: () => number) {
    const registers = [this.registry];
    this.#requests = new Histogram({
      name: 'coffer_agent_request_duration_seconds',
      help: 'Time to answer a request, by route and status.',
      labelNames: ['route', 'status'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers,
    });
    this.#upstream = new Counter({
      name: 'coffer_agent_upstream_calls_total',
      help: 'Calls to Secrets Manager, by operation and outcome.',
      labelNames: ['operation', 'outcome'],
      registers,
    });
    // Every series a dashboard plots starts at 0, rather than appearing with the first failure.
    for (const operation of ['GetSecretValue', 'DescribeSecret', 'BatchGetSecretValue', 'ListSecrets'])
      for (const outcome of ['ok', 'error']) this.#upstream.inc({ operation, outcome }, 0);
    const fromStats = (name: string, help: string, field: 'hits' | 'misses' | 'staleServes') => {
      const caches = this.#caches;
      const seen = this.#seen;
      new Counter({
        name,
        help,
        registers,
        collect() {
          for (const cache of caches) {
            const stats = cache.stats();
            const before = seen.get(cache) ?? { hits: 0, misses: 0, staleServes: 0 };
            if (stats[field] > before[field]) this.inc(stats[field] - before[field]);
            seen.set(cache, { ...before, [field]: stats[field] });
          }
        },
      });
    };
    fromStats('coffer_agent_cache_hits_total', 'Reads answered from the cache.', 'hits');
    fromStats('coffer_agent_cache_misses_total', 'Reads that had to wait for Secrets Manager.', 'misses');
    fromStats(
      'coffer_agent_stale_serves_total',
      'Reads answered with a value past its TTL while Secrets Manager failed.',
      'staleServes',
    );
    const caches = this.#caches;
    new Gauge({
      name: 'coffer_agent_cache_entries',
      help: 'Secret versions held, over every cache (the agent and each role).',
      registers,
      collect() {
        this.set(caches.reduce((sum, cache) => sum + cache.stats().entries, 0));
      },
    });
    new Gauge({
      name: 'coffer_agent_open_connections',
      help: 'Client connections open now.',
      registers,
      collect() {
        this.set(openConnections());
      },
    });
  }

  /** Follows a cache's calls to Secrets Manager and its hit, miss and stale counts. */
  follow(cache: SecretCache): void {
    this.#caches.push(cache);
    cache.on('apiCall', ({ operation, ok }) =>
      this.#upstream.inc({ operation, outcome: ok ? 'ok' : 'error' }),
    );
  }

  /** A call the agent makes itself (ListSecrets for tag filters). */
  upstreamCall(operation: string, ok: boolean): void {
    this.#upstream.inc({ operation, outcome: ok ? 'ok' : 'error' });
  }

  /** One labelled series per route and status, looked up once: labelling on every request costs. */
  readonly #series = new Map<string, { observe(value: number): void }>();

  request(route: string, status: number, seconds: number): void {
    const key = `${route} ${status}`;
    let series = this.#series.get(key);
    if (series === undefined) {
      series = this.#requests.labels({ route, status });
      this.#series.set(key, series);
    }
    series.observe(seconds);
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
