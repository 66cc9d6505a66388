import { SecretCache } from 'coffer';
import { type AwsOptions, clientFor } from '../../aws/client.js';
import { CliError, EXIT } from '../../errors.js';
import { ExecError, prepareEnvironment } from '../../exec/environment.js';
import { startChild } from '../../exec/run.js';
import type { CliIo } from '../../io.js';

export interface ExecOptions extends AwsOptions {
  secret: string[];
  prefix: string;
  naming: 'upper-snake' | 'keep';
  mask: boolean;
  /** `+key` from --mask-key, `-key` from --no-mask-key (commander gives both one attribute). */
  maskKey: string[];
  watch?: boolean;
  onRotate: 'restart' | 'signal';
  signal: NodeJS.Signals;
  interval: number;
}

export async function run(io: CliIo, argv: string[], options: ExecOptions): Promise<void> {
  const [program, ...args] = argv;
  if (program === undefined) throw new CliError('Give the command to run after --.', EXIT.usage);
  const cache = new SecretCache({
    client: await clientFor(options),
    ttl: options.interval * 1000,
    jitter: 0,
  });
  try {
    const prepare = async () => {
      try {
        return await prepareEnvironment(
          {
            secrets: options.secret,
            env: io.env,
            prefix: options.prefix,
            naming: options.naming,
            maskKeys: options.maskKey.filter((k) => k.startsWith('+')).map((k) => k.slice(1)),
            unmaskedKeys: options.maskKey.filter((k) => k.startsWith('-')).map((k) => k.slice(1)),
          },
          cache,
        );
      } catch (error) {
        if (error instanceof ExecError) throw new CliError(error.message);
        throw error;
      }
    };
    let prepared = await prepare();
    for (const variable of prepared.overridden) {
      io.stderr(`coffer exec: ${variable.name} from ${variable.source} replaces the variable already set\n`);
    }
    let child = await startChild({
      command: program,
      args,
      env: prepared.env,
      mask: options.mask ? prepared.mask : undefined,
      note: io.stderr,
    });
    let restarting = false;
    if (options.watch) {
      cache.on('rotated', (event) => {
        if (!prepared.secrets.has(event.arn) && !prepared.secrets.has(event.name)) return;
        if (options.onRotate === 'signal') {
          io.stderr(`coffer exec: ${event.name} rotated; sending ${options.signal}\n`);
          child.kill(options.signal);
          return;
        }
        io.stderr(`coffer exec: ${event.name} rotated; restarting ${program}\n`);
        restarting = true;
        child.kill('SIGTERM');
      });
    }
    for (;;) {
      const code = await child.exited;
      if (!restarting) {
        io.setExitCode?.(code);
        return;
      }
      restarting = false;
      prepared = await prepare();
      child = await startChild({
        command: program,
        args,
        env: prepared.env,
        mask: options.mask ? prepared.mask : undefined,
        note: io.stderr,
      });
    }
  } finally {
    await cache.close();
  }
}
