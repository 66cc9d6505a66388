// What a load that fails reports: every bad field at once, where its value came from and what is wrong with it,
// never the value itself.
import { defineSettings, SettingsError, secret } from '@coffer/settings';
import { z } from 'zod';

const settings = defineSettings({
  schema: {
    port: z.number(),
    mode: z.enum(['safe', 'strict']),
    apiKey: secret(z.string()),
    database: { password: secret(z.string().min(12)) },
  },
  env: { prefix: 'APP_' },
  secrets: { database: 'staging/db', apiKey: 'staging/api#key' },
});

try {
  await settings.load();
} catch (error) {
  if (!(error instanceof SettingsError)) throw error;
  console.log(error.message);
  console.log(error.issues.map((issue) => issue.path).join(', ')); // the same issues, as data
} finally {
  await settings.close();
}
