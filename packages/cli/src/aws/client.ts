import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/** What a command's --endpoint, --region and --profile give (see withAwsOptions in commands/options.ts). */
export interface AwsOptions {
  endpoint?: string;
  region?: string;
  profile?: string;
}

/** A Secrets Manager client; what the options leave out, the SDK's default chain decides, as for any AWS tool. */
export function clientFor(options: AwsOptions): SecretsManagerClient {
  return new SecretsManagerClient({
    ...(options.endpoint !== undefined && { endpoint: options.endpoint }),
    ...(options.region !== undefined && { region: options.region }),
    ...(options.profile !== undefined && { profile: options.profile }),
  });
}
