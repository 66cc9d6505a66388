import { Agent, request } from 'node:http';

/** Steady load: `concurrency` keep-alive request loops against one URL until stopped. */
export interface Load {
  readonly ok: number;
  readonly failed: number;
  /** Database users the responses came from (alternating-users rotation switches between two). */
  readonly users: ReadonlySet<string>;
  /** Up to 5 distinct failure reasons, for the summary. */
  readonly failures: ReadonlyMap<string, number>;
  /** Latency percentile in ms over every request so far (0 before the first). */
  percentile(p: number): number;
  /** Stops the loops and waits for the requests in flight. */
  stop(): Promise<void>;
}

export function startLoad(options: { port: number; apiKey: string; concurrency: number }): Load {
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
  const latencies: number[] = [];
  const users = new Set<string>();
  const failures = new Map<string, number>();
  let ok = 0;
  let failed = 0;
  let running = true;

  const fail = (reason: string) => {
    failed++;
    if (failures.has(reason) || failures.size < 5) failures.set(reason, (failures.get(reason) ?? 0) + 1);
  };

  const once = () =>
    new Promise<void>((resolve) => {
      const started = performance.now();
      const req = request(
        {
          host: '127.0.0.1',
          port: options.port,
          path: '/whoami',
          agent,
          headers: { 'x-api-key': options.apiKey },
        },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            body += chunk;
          });
          res.on('end', () => {
            latencies.push(performance.now() - started);
            let parsed: { user?: string; error?: string } = {};
            try {
              parsed = JSON.parse(body) as typeof parsed;
            } catch {
              // reported below as the status alone
            }
            if (res.statusCode === 200) {
              ok++;
              if (parsed.user !== undefined) users.add(parsed.user);
            } else {
              fail(`HTTP ${res.statusCode}${parsed.error === undefined ? '' : `: ${parsed.error}`}`);
            }
            resolve();
          });
          res.on('error', () => {
            fail('response aborted');
            resolve();
          });
        },
      );
      req.on('error', (error: NodeJS.ErrnoException) => {
        // Requests cut off by stop() are not failures of the service.
        if (running) fail(`request error: ${error.code ?? error.name}`);
        resolve();
      });
      req.end();
    });

  const loop = async () => {
    while (running) await once();
  };
  const loops = Array.from({ length: options.concurrency }, loop);

  return {
    get ok() {
      return ok;
    },
    get failed() {
      return failed;
    },
    users,
    failures,
    percentile: (p) => {
      if (latencies.length === 0) return 0;
      const sorted = Float64Array.from(latencies).sort();
      return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
    },
    stop: async () => {
      running = false;
      await Promise.all(loops);
      agent.destroy();
    },
  };
}
