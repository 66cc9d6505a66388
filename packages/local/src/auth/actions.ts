/**
 * The IAM actions of Secrets Manager: one per API operation (`secretsmanager:<Operation>`). Policies
 * may name them with `*` and `?` wildcards; a name that matches none of them is a mistake.
 */
export const SECRETS_MANAGER_ACTIONS: readonly string[] = [
  'BatchGetSecretValue',
  'CancelRotateSecret',
  'CreateSecret',
  'DeleteResourcePolicy',
  'DeleteSecret',
  'DescribeSecret',
  'GetRandomPassword',
  'GetResourcePolicy',
  'GetSecretValue',
  'ListSecretVersionIds',
  'ListSecrets',
  'PutResourcePolicy',
  'PutSecretValue',
  'RemoveRegionsFromReplication',
  'ReplicateSecretToRegions',
  'RestoreSecret',
  'RotateSecret',
  'StopReplicationToReplica',
  'TagResource',
  'UntagResource',
  'UpdateSecret',
  'UpdateSecretVersionStage',
  'ValidateResourcePolicy',
].map((operation) => `secretsmanager:${operation}`);
