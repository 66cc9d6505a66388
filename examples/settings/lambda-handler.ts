// In a Lambda: start loading at module scope (no top-level await needed), await it in the handler.
import { defineSettings, secret } from '@coffer/settings';
import { z } from 'zod';

const settings = defineSettings({
  schema: { apiKey: secret(z.string()) },
  secrets: { apiKey: 'prod/payments#key' },
});
const config = settings.load();

export const handler = async (event: { path?: string }): Promise<{ statusCode: number; body: string }> => {
  const { apiKey } = await config;
  return { statusCode: 200, body: `${event.path ?? '/'} with a key of ${apiKey.reveal().length} characters` };
};
