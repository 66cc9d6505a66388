import { CliError } from '../../errors.js';
import type { CliIo } from '../../io.js';
import { missingForDemo } from '../../local-server.js';

export interface DemoOptions {
  /** Seconds of load; the definition has already applied --short. */
  duration: number;
  /** Rotations during the load; the definition has already applied --short. */
  rotations: number;
  strategy: 'single-user' | 'alternating-users';
  engine: 'postgres' | 'mariadb';
  json?: boolean;
  short?: boolean;
}

export async function run(io: CliIo, options: DemoOptions): Promise<void> {
  // The demo's own SDK clients run on whatever Node runs it; the SDK's support-window notice is noise here.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const missing = missingForDemo(options.engine);
  if (missing.length > 0) {
    const what =
      options.engine === 'postgres'
        ? 'coffer demo runs a local Secrets Manager and PostgreSQL'
        : "coffer demo --engine mariadb runs a local Secrets Manager and the machine's MariaDB";
    throw new CliError(
      `${what}, from packages the CLI does not install by default: install ${missing.join(', ')} beside it (\`npm install -g ${missing.join(' ')}\`, or \`npm install -D ...\` in a project).`,
    );
  }
  const { runDemo, Interrupted } = await import('../../demo/run.js');
  const { formatSummary } = await import('../../demo/progress.js');

  const controller = new AbortController();
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals === 1) {
      io.stderr(`\n${signal}: stopping the demo and cleaning up (press Ctrl-C again to quit at once)...\n`);
      controller.abort();
    } else {
      // The exit hooks still stop PostgreSQL and remove the temp dirs.
      process.exit(130);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const summary = await runDemo(
      {
        durationSeconds: options.duration,
        rotations: options.rotations,
        strategy: options.strategy,
        engine: options.engine,
        concurrency: 20,
        ttlMs: 2_000,
      },
      {
        log: io.stderr,
        columns: process.stderr.isTTY ? (process.stderr.columns ?? 80) : undefined,
        signal: controller.signal,
      },
    );
    if (options.json) io.stdout(`${JSON.stringify(summary, null, 2)}\n`);
    else io.stdout(formatSummary(summary));
    if (summary.outcome !== 'success') {
      throw new CliError(
        summary.requests.failed > 0
          ? `${summary.requests.failed} requests failed during rotation.`
          : `Only ${summary.rotations.done} of ${summary.rotations.planned} rotations completed.`,
      );
    }
  } catch (error) {
    if (error instanceof Interrupted)
      throw new CliError('Interrupted; everything the demo started was stopped.', 130);
    throw error;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
