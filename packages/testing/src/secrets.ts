import { randomUUID } from 'node:crypto';
import { inspect } from 'node:util';
import {
  CreateSecretCommand,
  type CreateSecretCommandInput,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { CofferLogger } from 'coffer';
import { expect } from 'vitest';

/** Every secret value the tests create, so that nothing can leak them unnoticed. */
export const canaries: string[] = [];

export function canary(): string {
  const value = `canary-${randomUUID()}`;
  canaries.push(value);
  return value;
}

/** Fails if any canary shows in `util.inspect`, `JSON.stringify` or `String` of the thing. */
export function expectNoCanary(thing: unknown, label = 'value'): void {
  const renderings = [inspect(thing, { depth: 20, showHidden: true, getters: false })];
  try {
    renderings.push(JSON.stringify(thing) ?? '');
  } catch {
    // circular (an SDK error's $response): inspect above covers it
  }
  if (thing instanceof Error) {
    renderings.push(String(thing), thing.message, thing.stack ?? '');
    let cause: unknown = thing.cause;
    while (cause instanceof Error) {
      renderings.push(cause.message, cause.stack ?? '', inspect(cause, { depth: 20 }));
      cause = cause.cause;
    }
  }
  for (const text of renderings) {
    for (const value of canaries) expect(text.includes(value), `${label} leaked a secret value`).toBe(false);
  }
}

/** A logger that keeps every call, for checking warnings and for leak checks. */
export function captureLogger(): CofferLogger & {
  calls: { level: string; fields: Record<string, unknown>; message: string }[];
} {
  const calls: { level: string; fields: Record<string, unknown>; message: string }[] = [];
  const at = (level: string) => (fields: Record<string, unknown>, message: string) => {
    calls.push({ level, fields, message });
  };
  return { calls, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export async function createSecret(
  client: SecretsManagerClient,
  input: CreateSecretCommandInput,
): Promise<{ arn: string; versionId: string }> {
  const created = await client.send(new CreateSecretCommand(input));
  return { arn: created.ARN ?? '', versionId: created.VersionId ?? '' };
}

export const uniqueName = (prefix: string): string => `${prefix}/${randomUUID().slice(0, 8)}`;
