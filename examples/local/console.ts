// The web console from code: a one-time sign-in link, exchanged for a session cookie, then the Secrets page.
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { startLocalSecretsManager } from '@coffer/local';

const local = await startLocalSecretsManager({ port: 0, inMemory: true, console: true });
const client = new SecretsManagerClient({
  endpoint: local.endpoint,
  region: local.region,
  credentials: local.credentials,
});
await client.send(new CreateSecretCommand({ Name: 'app/db', SecretString: 's3cr3t' }));

const link = local.console?.loginUrl() ?? ''; // .../console/login?token=...: open it in a browser
const signIn = await fetch(link, { redirect: 'manual' });
const cookie = signIn.headers.get('set-cookie')?.split(';')[0] ?? '';
const page = await fetch(`${local.console?.url}/secrets`, { headers: { cookie } });
const html = await page.text();
console.log(`Secrets page: ${page.status}, lists app/db: ${html.includes('>app/db<')}`);
// The same link a second time signs nobody in.
console.log(`link reused: ${(await fetch(link, { redirect: 'manual' })).status}`);
await local.close();
