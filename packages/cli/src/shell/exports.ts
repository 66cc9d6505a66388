import { shellQuote } from 'coffer/internal';

/**
 * The `export` lines that point the AWS CLI and SDKs at a Secrets Manager endpoint. The region goes in both
 * names: AWS CLI v1 and older boto3 read only AWS_DEFAULT_REGION.
 */
export function exportsFor(settings: {
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  endpoint: string;
}): string {
  return [
    `export AWS_ACCESS_KEY_ID=${shellQuote(settings.accessKeyId)}`,
    `export AWS_SECRET_ACCESS_KEY=${shellQuote(settings.secretAccessKey)}`,
    `export AWS_REGION=${shellQuote(settings.region)}`,
    `export AWS_DEFAULT_REGION=${shellQuote(settings.region)}`,
    `export AWS_ENDPOINT_URL_SECRETS_MANAGER=${shellQuote(settings.endpoint)}`,
    '',
  ].join('\n');
}
