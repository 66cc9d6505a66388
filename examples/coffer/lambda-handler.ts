// A Lambda handler: the cache lives at module scope, created without a client or a fetch, so importing the
// module costs nothing and needs no top-level await.
import { SecretCache } from 'coffer';

const cache = new SecretCache();

export const handler = async (): Promise<{ statusCode: number; body: string }> => {
  const { value } = await cache.get('prod/api-key');
  const response = await callApi(value.reveal());
  return { statusCode: 200, body: JSON.stringify(response) };
};

/** Stands in for your API client. */
async function callApi(apiKey: string): Promise<{ authorized: boolean }> {
  return { authorized: apiKey.length > 0 };
}
