import { defineSettings, secret } from '@coffer/settings';
import { z } from 'zod';

const settings = defineSettings({
  schema: {
    port: z.number().int().default(8080),
    debug: z.boolean().default(false),
    database: {
      host: z.string(),
      port: z.number().default(5432),
      username: z.string(),
      password: secret(z.string().min(12)),
    },
    apiKey: secret(z.string()),
  },
  env: { prefix: 'APP_' },
  secrets: {
    database: 'prod/db', // a whole JSON secret onto a nested object
    apiKey: 'prod/payments#key', // one key of a JSON secret
  },
});

const config = await settings.load();
console.log(config.database.password); // Secret<string>: prints as Secret(*****)
const password: string = config.database.password.reveal(); // the value, at the point of use
console.log(
  `port ${config.port}, database ${config.database.host}, password of ${password.length} characters`,
);

const stop = settings.watch(
  (next, changedPaths) => console.log(`port ${next.port}: ${changedPaths.join(', ')} changed`), // e.g. database.password
  { onError: (error) => console.warn({ code: error.code }, 'new secret version rejected') },
);
stop();
await settings.close();
