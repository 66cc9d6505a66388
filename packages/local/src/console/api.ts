/**
 * The console's only way to read and change secrets: the API itself. Each call is a real request,
 * signed (SigV4) with the console's credential and handed to the same request handler the HTTP
 * endpoint uses, so it meets the same operations code, policy checks and audit log as any SDK call.
 */
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import type { Credential } from '../auth/credentials.js';
import type { WireHandler } from '../protocol/wire.js';

/** An error answer of the API, as its code and message (which never quote a value). */
export class ConsoleApiError extends Error {
  override readonly name = 'ConsoleApiError';
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export interface ConsoleApiOptions {
  handle: WireHandler['handle'];
  /** The console's credential, looked up at each call (a removed credential stops the console). */
  credential: () => Credential;
  /** The Host the requests name (the server's own). */
  host: string;
}

const USER_AGENT = 'coffer-console';

export class ConsoleApi {
  private signer: { credential: Credential; signer: SignatureV4 } | undefined;

  constructor(private readonly options: ConsoleApiOptions) {}

  private signerFor(credential: Credential): SignatureV4 {
    if (this.signer?.credential !== credential) {
      this.signer = {
        credential,
        signer: new SignatureV4({
          credentials: { accessKeyId: credential.accessKeyId, secretAccessKey: credential.secretAccessKey },
          region: 'us-east-1',
          service: 'secretsmanager',
          sha256: Hash.bind(null, 'sha256'),
        }),
      };
    }
    return this.signer.signer;
  }

  /** Calls `operation` in `region` on behalf of a browser at `sourceIp`; throws ConsoleApiError on an error answer. */
  async call<T = Record<string, unknown>>(
    region: string,
    operation: string,
    input: Record<string, unknown>,
    sourceIp: string,
  ): Promise<T> {
    const body = JSON.stringify(input);
    const signer = this.signerFor(this.options.credential());
    const signed = await signer.sign(
      {
        method: 'POST',
        protocol: 'http:',
        hostname: this.options.host,
        path: '/',
        query: {},
        headers: {
          host: this.options.host,
          'content-type': 'application/x-amz-json-1.1',
          'x-amz-target': `secretsmanager.${operation}`,
        },
        body,
      },
      { signingRegion: region },
    );
    const headers: Record<string, string | undefined> = Object.create(null);
    for (const [name, value] of Object.entries(signed.headers)) headers[name.toLowerCase()] = value;
    headers['user-agent'] = USER_AGENT;
    const response = await this.options.handle({
      method: 'POST',
      path: '/',
      headers,
      body: Buffer.from(body, 'utf8'),
      sourceIp,
    });
    const parsed = JSON.parse(response.body) as Record<string, unknown>;
    if (response.status !== 200) {
      const type = String(parsed.__type ?? 'InternalServiceError');
      throw new ConsoleApiError(
        type.slice(type.lastIndexOf('#') + 1),
        String(parsed.Message ?? parsed.message ?? 'The request failed.'),
        response.status,
      );
    }
    return parsed as T;
  }
}
