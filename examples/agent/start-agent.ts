// Coffer's agent started from Node: an HTTP endpoint on localhost that programs in any language read secrets
// through, compatible with AWS's Secrets Manager agent.
import { randomBytes } from 'node:crypto';
import { startAgent } from '@coffer/agent';

const token = randomBytes(16).toString('hex'); // in production: AWS_TOKEN, or a token file
const agent = await startAgent({
  token,
  listen: process.env.AGENT_LISTEN ?? '127.0.0.1:2773',
  prefetch: { secrets: [{ secretId: 'prod/db' }] },
});
console.log(agent.url); // http://127.0.0.1:2773
console.log(await agent.prefetched); // { loaded: [...], failed: [...] }
const answer = await fetch(`${agent.url}/secretsmanager/get?secretId=prod/api-key`, {
  headers: { 'X-Aws-Parameters-Secrets-Token': token },
});
const { Name, VersionId } = (await answer.json()) as { Name: string; VersionId: string };
console.log(`${answer.status} ${Name} ${VersionId}`);
await agent.close(); // also `await using agent = await startAgent(...)`
