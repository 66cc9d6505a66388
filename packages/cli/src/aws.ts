import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { type Command, Option } from 'commander';

/** The options every command that talks to Secrets Manager takes. */
export interface AwsOptions {
  endpoint?: string;
  region?: string;
  profile?: string;
}

/** Adds --endpoint, --region and --profile; without them the SDK's default chain decides, as for any AWS tool. */
export function withAwsOptions(command: Command): Command {
  return command
    .addOption(
      new Option('--endpoint <url>', 'Secrets Manager endpoint, e.g. a local server').env(
        'AWS_ENDPOINT_URL_SECRETS_MANAGER',
      ),
    )
    .addOption(new Option('--region <region>', 'AWS region (default: the SDK default chain)'))
    .addOption(
      new Option('--profile <name>', 'AWS profile from ~/.aws/config (default: the SDK default chain)'),
    );
}

/** A Secrets Manager client; the SDK is loaded here, on first use, so that defining commands stays cheap. */
export async function clientFor(options: AwsOptions): Promise<SecretsManagerClient> {
  const { SecretsManagerClient } = await import('@aws-sdk/client-secrets-manager');
  return new SecretsManagerClient({
    ...(options.endpoint !== undefined && { endpoint: options.endpoint }),
    ...(options.region !== undefined && { region: options.region }),
    ...(options.profile !== undefined && { profile: options.profile }),
  });
}
