import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { getSecret } from 'coffer';

const client = new SecretsManagerClient({});
const { value, name, arn, versionId, versionStages, createdDate } = await getSecret('prod/api-key', {
  client,
});
console.log(
  `${name} (${arn}) version ${versionId} ${versionStages.join(',')} from ${createdDate?.toISOString()}`,
);
console.log(`value: ${value}`); // value: *****
