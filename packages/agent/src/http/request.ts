import { isRoleArn } from '../role-arn.js';
import { HttpAnswer } from './answers.js';

/** One secret read as asked over HTTP, in either form. */
export interface SecretRequest {
  readonly secretId: string;
  readonly versionId: string | undefined;
  readonly versionStage: string | undefined;
  readonly refreshNow: boolean;
  readonly roleArn: string | undefined;
  /** Coffer extension: one key of a JSON secret. */
  readonly key: string | undefined;
}

function refreshValue(text: string): boolean {
  switch (text.toLowerCase()) {
    case 'true':
    case '1':
      return true;
    case 'false':
    case '0':
      return false;
    default:
      throw HttpAnswer.text(400, 'invalid refreshNow value');
  }
}

export function checkRoleArn(roleArn: string | undefined): void {
  if (roleArn !== undefined && !isRoleArn(roleArn))
    throw HttpAnswer.text(400, 'invalid roleArn format, expected arn:<partition>:iam::<account>:role/<name>');
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw HttpAnswer.text(400, 'invalid percent-encoding in the path');
  }
}

function read(params: URLSearchParams, secretId: string, allowSecretId: boolean): SecretRequest {
  let versionId: string | undefined;
  let versionStage: string | undefined;
  let refreshNow = false;
  let roleArn: string | undefined;
  let key: string | undefined;
  let id = secretId;
  for (const [name, value] of params) {
    switch (name) {
      case 'secretId':
        if (!allowSecretId) throw HttpAnswer.text(400, `unknown parameter: ${name}`);
        id = value;
        break;
      case 'versionId':
        versionId = value;
        break;
      case 'versionStage':
        versionStage = value;
        break;
      case 'refreshNow':
        refreshNow = refreshValue(value);
        break;
      case 'roleArn':
        roleArn = value;
        break;
      case 'key':
        key = value;
        break;
      default:
        throw HttpAnswer.text(400, `unknown parameter: ${name}`);
    }
  }
  if (id === '')
    throw HttpAnswer.text(400, allowSecretId ? 'missing parameter secretId' : 'missing secret ID');
  checkRoleArn(roleArn);
  return { secretId: id, versionId, versionStage, refreshNow, roleArn, key };
}

/** `GET /secretsmanager/get?secretId=...&versionId=...&versionStage=...&refreshNow=...&roleArn=...&key=...` */
export const queryRequest = (params: URLSearchParams): SecretRequest => read(params, '', true);

/**
 * `GET /v1/<secretId>?...`: the rest of the path, percent-decoded, is the secret id; `<secretId>#<key>` (the
 * `#` encoded as `%23`, since a literal one never leaves the client) picks one key.
 */
export function pathRequest(path: string, prefix: string, params: URLSearchParams): SecretRequest {
  const rest = decode(path.slice(prefix.length));
  const hash = rest.lastIndexOf('#');
  const request = read(params, hash < 0 ? rest : rest.slice(0, hash), false);
  return hash < 0 ? request : { ...request, key: rest.slice(hash + 1) };
}
