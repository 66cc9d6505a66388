// RotateSecret on the local server runs a rotation function in a child process, as Lambda would run it.
import { fileURLToPath } from 'node:url';
import {
  CreateSecretCommand,
  RotateSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { startLocalSecretsManager } from '@coffer/local';

const functionArn = 'arn:aws:lambda:us-east-1:123456789012:function:rotate-key';
const local = await startLocalSecretsManager({
  port: 0,
  inMemory: true,
  // The API-key rotator of ../coffer/custom-rotation.ts, built beside this file.
  rotationFunctions: {
    [functionArn]: fileURLToPath(new URL('../coffer/custom-rotation.js', import.meta.url)),
  },
});
const client = new SecretsManagerClient({
  endpoint: local.endpoint,
  region: local.region,
  credentials: local.credentials,
});
await client.send(new CreateSecretCommand({ Name: 'app/key', SecretString: 'first-key' }));
await client.send(
  new RotateSecretCommand({
    SecretId: 'app/key',
    RotationLambdaARN: functionArn,
    RotationRules: { ScheduleExpression: 'rate(30 days)' },
  }),
);
// Resolves with the outcome of the last rotation: { outcome: 'success', completedSteps: [4 steps], ... }.
const rotation = await local.waitForRotation('app/key');
console.log(`${rotation?.outcome}: ${rotation?.completedSteps.join(', ')}`);
await local.close();
