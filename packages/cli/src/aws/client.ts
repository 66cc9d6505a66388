import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { loadConfig } from '@smithy/core/config';

/** What a command's --endpoint, --region and --profile give (see withAwsOptions in commands/options.ts). */
export interface AwsOptions {
  endpoint?: string;
  region?: string;
  profile?: string;
}

const QUIET_SDK = 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED';

/**
 * The `endpoint_url` a profile sets (its own, or its `services` section's for Secrets Manager). The SDK reads
 * these only for the profile in AWS_PROFILE, not for the client's `profile` option, so `--profile local`
 * would go to AWS while `AWS_PROFILE=local` goes to the local server. The lookup is the SDK's own rule.
 */
async function profileEndpoint(profile: string): Promise<string | undefined> {
  const env = process.env;
  if (env.AWS_ENDPOINT_URL_SECRETS_MANAGER || env.AWS_ENDPOINT_URL) return undefined; // the SDK takes these
  if (env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS === 'true') return undefined;
  const endpoint = await loadConfig<string | undefined>(
    {
      environmentVariableSelector: () => undefined,
      configFileSelector: (section, config) => {
        const services = section.services;
        const fromServices =
          services === undefined
            ? undefined
            : config?.[`services.${services}`]?.['secrets_manager.endpoint_url'];
        return fromServices ?? section.endpoint_url;
      },
      default: undefined,
    },
    { profile },
  )().catch(() => undefined);
  return typeof endpoint === 'string' && endpoint !== '' ? endpoint : undefined;
}

/** A Secrets Manager client; what the options leave out, the SDK's default chain decides, as for any AWS tool. */
export async function clientFor(options: AwsOptions): Promise<SecretsManagerClient> {
  const endpoint =
    options.endpoint ?? (options.profile === undefined ? undefined : await profileEndpoint(options.profile));
  // The SDK prints an 8-line notice that its 2027 releases need Node 22 on every run on Node 20 (the README
  // says it once). Quiet for this client only: a command `coffer exec` starts keeps its own environment.
  const quiet = process.env[QUIET_SDK];
  process.env[QUIET_SDK] = 'true';
  try {
    return new SecretsManagerClient({
      ...(endpoint !== undefined && { endpoint }),
      ...(options.region !== undefined && { region: options.region }),
      ...(options.profile !== undefined && { profile: options.profile }),
    });
  } finally {
    if (quiet === undefined) delete process.env[QUIET_SDK];
    else process.env[QUIET_SDK] = quiet;
  }
}
