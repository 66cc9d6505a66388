/**
 * Runs one rotation function in a child process of the local server, as Lambda would run it: the
 * server forks this script with the function's module path, sends one message per step, and gets
 * back success or an error message. A crash here cannot take the server down. The process exits
 * when the server disconnects.
 */
import { randomUUID } from 'node:crypto';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';

export interface StepRequest {
  type: 'step';
  id: number;
  event: { SecretId: string; ClientRequestToken: string; Step: string; RotationToken?: string };
  timeoutMs: number;
}

export interface StepResult {
  type: 'result';
  id: number;
  ok: boolean;
  /** One line: the error's class and message. Never a secret value from the server. */
  error?: string;
  /** The function could not be loaded (import failed or no handler export). */
  loadError?: boolean;
}

type Handler = (event: unknown, context: unknown) => unknown;

const modulePath = process.argv[2] ?? '';
let loading: Promise<Handler> | undefined;

async function load(): Promise<Handler> {
  let mod: { handler?: unknown; default?: { handler?: unknown } };
  try {
    mod = await import(pathToFileURL(modulePath).href);
  } catch (error) {
    if ((error as { code?: unknown })?.code === 'ERR_MODULE_NOT_FOUND' && error instanceof Error) {
      // The usual surprise: a function written to a temp dir cannot see the project's node_modules.
      error.message = `${error.message.split('\n')[0]} (a rotation function's imports resolve from its own folder, ${dirname(modulePath)}: put it inside the project that has the package installed, or bundle it)`;
    }
    throw error;
  }
  const handler = mod.handler ?? mod.default?.handler;
  if (typeof handler !== 'function') {
    throw new Error(`${modulePath} exports no handler(event) function.`);
  }
  return handler as Handler;
}

function oneLine(error: unknown): string {
  const text =
    error instanceof Error ? `${error.name}: ${error.message}` : `Error: ${String(error ?? 'unknown')}`;
  const line = text.split('\n')[0] ?? text;
  return line.length > 500 ? `${line.slice(0, 497)}...` : line;
}

const send = (result: StepResult): void => {
  process.send?.(result);
};

process.on('message', (message: StepRequest) => {
  if (message?.type !== 'step') return;
  const deadline = Date.now() + message.timeoutMs;
  void (async () => {
    let handler: Handler;
    try {
      loading ??= load();
      handler = await loading;
    } catch (error) {
      send({ type: 'result', id: message.id, ok: false, loadError: true, error: oneLine(error) });
      return;
    }
    try {
      const context = {
        functionName: modulePath,
        awsRequestId: randomUUID(),
        getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
      };
      await handler(message.event, context);
      send({ type: 'result', id: message.id, ok: true });
    } catch (error) {
      send({ type: 'result', id: message.id, ok: false, error: oneLine(error) });
    }
  })();
});

process.on('disconnect', () => process.exit(0));
