import { randomBytes, randomInt } from 'node:crypto';
import type { Store } from '../store/store.js';
import { ADMIN_POLICY, type PolicyDocument, policyProblem } from './policy.js';

export interface Credential {
  accessKeyId: string;
  secretAccessKey: string;
  userName: string;
  /** `arn:aws:iam::<account>:user/<userName>` */
  principalArn: string;
  policy: PolicyDocument;
  /** Set for a credential that stands for an AWS service: the OwningService of the secrets it creates. */
  owningService?: string | undefined;
}

export interface NewCredential {
  /** IAM-style user name; it becomes the principal `arn:aws:iam::<account>:user/<userName>`. */
  userName: string;
  /** Identity policy. @default full access to `secretsmanager:*` */
  policy?: PolicyDocument;
  /**
   * Makes the credential stand for an AWS service that manages secrets, such as `rds`: the secrets it
   * creates report it as their `OwningService` (and their names may hold `!`, as `rds!db-...` do).
   * @default none: an ordinary user
   */
  owningService?: string;
}

const ALNUM_UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const USER_NAME = /^[A-Za-z0-9+=,.@_-]{1,64}$/;
const SERVICE_ID = /^[a-z0-9][a-z0-9.-]{0,127}$/;

/** Access key ids look like AWS's (20 characters, `AKIA` prefix) so tools that check the format accept them. */
function newAccessKeyId(): string {
  let id = 'AKIA';
  for (let i = 0; i < 16; i++) id += ALNUM_UPPER[randomInt(ALNUM_UPPER.length)];
  return id;
}

const newSecretAccessKey = (): string =>
  randomBytes(30).toString('base64').replace(/\+/g, 'A').replace(/\//g, 'B');

const ADMIN_USER = 'coffer-admin';

/** Whether a credential is the server's own admin, created on first start. */
export const isAdmin = (credential: { userName: string }): boolean => credential.userName === ADMIN_USER;

/** The credentials the server accepts, kept in the store (secret keys sealed under the master key). */
export class CredentialRegistry {
  private readonly byKeyId = new Map<string, Credential>();

  constructor(
    private readonly store: Store,
    private readonly accountId: string,
  ) {
    for (const stored of store.credentials()) {
      this.byKeyId.set(stored.accessKeyId, this.toCredential(stored));
    }
  }

  private toCredential(stored: {
    accessKeyId: string;
    secretAccessKey: string;
    userName: string;
    policy: string;
    owningService?: string | undefined;
  }): Credential {
    const credential: Credential = {
      accessKeyId: stored.accessKeyId,
      secretAccessKey: stored.secretAccessKey,
      userName: stored.userName,
      principalArn: `arn:aws:iam::${this.accountId}:user/${stored.userName}`,
      policy: JSON.parse(stored.policy) as PolicyDocument,
    };
    if (stored.owningService !== undefined) credential.owningService = stored.owningService;
    return credential;
  }

  /**
   * Rereads every credential from the store, so that one removed or changed by another process
   * (`coffer credentials remove`) stops working here too.
   */
  reload(): void {
    const fresh = new Map<string, Credential>();
    for (const stored of this.store.credentials()) {
      const known = this.byKeyId.get(stored.accessKeyId);
      // An unchanged credential keeps its object, and with it the verifier's signer and derived keys.
      const same =
        known !== undefined &&
        known.secretAccessKey === stored.secretAccessKey &&
        known.userName === stored.userName &&
        known.owningService === stored.owningService &&
        JSON.stringify(known.policy) === JSON.stringify(JSON.parse(stored.policy));
      fresh.set(stored.accessKeyId, same ? known : this.toCredential(stored));
    }
    this.byKeyId.clear();
    for (const [id, credential] of fresh) this.byKeyId.set(id, credential);
  }

  /** Looks a key up; on a miss, rereads the store, so credentials added by `coffer credentials add` work at once. */
  get(accessKeyId: string): Credential | undefined {
    const known = this.byKeyId.get(accessKeyId);
    if (known) return known;
    const stored = this.store.credentials().find((c) => c.accessKeyId === accessKeyId);
    if (!stored) return undefined;
    const credential = this.toCredential(stored);
    this.byKeyId.set(accessKeyId, credential);
    return credential;
  }

  list(): Credential[] {
    return [...this.byKeyId.values()];
  }

  /** The admin credential, created on first start. */
  admin(): Credential {
    const existing = this.list().find((c) => c.userName === ADMIN_USER);
    return existing ?? this.add({ userName: ADMIN_USER, policy: ADMIN_POLICY });
  }

  add(request: NewCredential): Credential {
    if (typeof request.userName !== 'string' || !USER_NAME.test(request.userName)) {
      throw new TypeError(
        `Invalid user name ${JSON.stringify(request.userName)}: use 1-64 characters from A-Z a-z 0-9 and +=,.@_-`,
      );
    }
    if (this.list().some((c) => c.userName === request.userName)) {
      throw new TypeError(`A credential for user ${request.userName} already exists; remove it first.`);
    }
    if (
      request.owningService !== undefined &&
      (typeof request.owningService !== 'string' || !SERVICE_ID.test(request.owningService))
    ) {
      throw new TypeError(
        `Invalid owningService ${JSON.stringify(request.owningService)}: use a service id such as rds (lower-case letters, digits, . and -).`,
      );
    }
    const policy = request.policy ?? ADMIN_POLICY;
    const problem = policyProblem(policy);
    if (problem) throw new TypeError(`Invalid policy for ${request.userName}: ${problem}`);
    const stored = {
      accessKeyId: newAccessKeyId(),
      secretAccessKey: newSecretAccessKey(),
      userName: request.userName,
      policy: JSON.stringify(policy),
      createdAt: Date.now(),
      owningService: request.owningService,
    };
    this.store.addCredential(stored);
    const credential = this.toCredential(stored);
    this.byKeyId.set(credential.accessKeyId, credential);
    return credential;
  }

  remove(userName: string): boolean {
    const credential = this.list().find((c) => c.userName === userName);
    if (!credential) return false;
    this.store.removeCredential(userName);
    this.byKeyId.delete(credential.accessKeyId);
    return true;
  }
}
