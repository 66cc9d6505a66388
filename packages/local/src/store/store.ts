import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { chmodSync, closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { deepFreeze } from 'coffer/internal';
import { regionOfArn } from '../protocol/regions.js';
import { DecryptError, newKey, open, seal } from './crypto.js';

export interface Tag {
  Key: string;
  Value: string;
}

export interface SecretRecord {
  /** The row's place in creation order: unique, and the tiebreak of every listing order. */
  seq: number;
  arn: string;
  /** The region the secret lives in (as in its ARN); names are unique per region. */
  region: string;
  name: string;
  description: string | undefined;
  kmsKeyId: string | undefined;
  createdAt: number;
  lastChangedAt: number;
  lastAccessedAt: number | undefined;
  deletedAt: number | undefined;
  deletionDate: number | undefined;
  tags: Tag[];
  /** Whether it ever had a tag: then DescribeSecret shows `Tags` even when empty, as AWS does. */
  tagged: boolean;
  /** The partner that holds an external secret (CreateSecret's `Type`). */
  type: string | undefined;
  /** The service that created and manages it (`OwningService`), e.g. `rds`. */
  owningService: string | undefined;
  /**
   * For a replica: the ARN of its primary, whose versions, labels and metadata it shows (see
   * `replicaView`). Undefined for a primary or a secret that is not replicated.
   */
  primaryArn: string | undefined;
  /** For a primary: its replicas and their status, in the order they were added. */
  replicas: ReplicaStatus[];
  policy: string | undefined;
  /**
   * The policy column does not match its MAC: someone changed the database file without the master key.
   * Authorization refuses every caller but the admin, who can set the policy again.
   */
  policyTampered?: true;
  /** Rotation configuration and state, kept as one JSON document. */
  rotation: Record<string, unknown> | undefined;
}

/** One replica of a primary secret, as `ReplicationStatus` shows it (without LastAccessedDate). */
export interface ReplicaStatus {
  Region: string;
  KmsKeyId?: string;
  Status: 'InSync' | 'Failed' | 'InProgress';
  StatusMessage: string;
}

export interface VersionRecord {
  versionId: string;
  createdAt: number;
  lastAccessedAt: number | undefined;
  stages: string[];
  /** False for a version that exists only as a label holder (rotation's empty AWSPENDING). */
  hasValue: boolean;
}

export type SecretValue = { kind: 'string'; text: string } | { kind: 'binary'; bytes: Buffer };

export interface StoredCredential {
  accessKeyId: string;
  userName: string;
  secretAccessKey: string;
  policy: string;
  createdAt: number;
  /** For a credential that stands for an AWS service: the OwningService of the secrets it creates. */
  owningService?: string | undefined;
}

/**
 * The schema as the list of every step that ever built it: a database at `user_version` N has run the
 * first N, and opening it runs the rest. Steps are only ever appended, never changed.
 */
const SCHEMA: readonly (string | ((db: Database.Database) => void))[] = [
  `CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB NOT NULL)`,
  `CREATE TABLE secrets (
     arn TEXT PRIMARY KEY,
     name TEXT NOT NULL UNIQUE,
     description TEXT,
     kms_key_id TEXT,
     created_at INTEGER NOT NULL,
     last_changed_at INTEGER NOT NULL,
     last_accessed_at INTEGER,
     deleted_at INTEGER,
     deletion_date INTEGER,
     tags TEXT NOT NULL DEFAULT '[]',
     policy TEXT,
     rotation TEXT,
     data_key BLOB NOT NULL
   )`,
  `CREATE TABLE versions (
     secret_arn TEXT NOT NULL REFERENCES secrets(arn) ON DELETE CASCADE,
     version_id TEXT NOT NULL,
     seq INTEGER NOT NULL,
     created_at INTEGER NOT NULL,
     last_accessed_at INTEGER,
     kind TEXT,
     value BLOB,
     PRIMARY KEY (secret_arn, version_id)
   )`,
  `CREATE TABLE stages (
     secret_arn TEXT NOT NULL REFERENCES secrets(arn) ON DELETE CASCADE,
     stage TEXT NOT NULL,
     version_id TEXT NOT NULL,
     PRIMARY KEY (secret_arn, stage)
   )`,
  `CREATE INDEX stages_by_version ON stages(secret_arn, version_id)`,
  `CREATE TABLE credentials (
     access_key_id TEXT PRIMARY KEY,
     user_name TEXT NOT NULL UNIQUE,
     secret_access_key BLOB NOT NULL,
     policy TEXT NOT NULL,
     created_at INTEGER NOT NULL
   )`,
  // Regions: a secret belongs to the region in its ARN, and names are unique per region, not overall.
  (db) => rebuildSecrets(db, regionFromArn),
  // Today's API: Type, OwningService, and whether a secret ever had tags.
  'ALTER TABLE secrets ADD COLUMN type TEXT',
  'ALTER TABLE secrets ADD COLUMN owning_service TEXT',
  'ALTER TABLE secrets ADD COLUMN tagged INTEGER NOT NULL DEFAULT 0',
  "UPDATE secrets SET tagged = 1 WHERE tags != '[]'",
  'ALTER TABLE credentials ADD COLUMN owning_service TEXT',
  // Replication: a replica row points to its primary; a primary lists its replicas.
  'ALTER TABLE secrets ADD COLUMN primary_arn TEXT',
  "ALTER TABLE secrets ADD COLUMN replicas TEXT NOT NULL DEFAULT '[]'",
  // ListSecrets pages read only what they return: an index per sort order (rowid, the tiebreak, is in each).
  'CREATE INDEX secrets_by_created ON secrets(region, created_at)',
  'CREATE INDEX secrets_by_changed ON secrets(region, last_changed_at)',
  'CREATE INDEX secrets_by_accessed ON secrets(region, coalesce(last_accessed_at, -1))',
  // Access rules at rest: each secret's resource policy (or its absence) carries a MAC under a key derived
  // from the master key; credentials bind their user, policy and service into their sealed key's AAD.
  'ALTER TABLE secrets ADD COLUMN policy_mac BLOB',
  // The minute checks (rotation schedules, purging after a recovery window) read only the rows they concern.
  'CREATE INDEX secrets_rotating ON secrets(created_at) WHERE rotation IS NOT NULL',
  'CREATE INDEX secrets_by_deletion ON secrets(deletion_date) WHERE deletion_date IS NOT NULL',
];

/** The orders ListSecrets sorts by, as the SQL expression each one's index is on. */
export const SORT_COLUMNS = {
  'created-date': 'created_at',
  // Never accessed sorts before any date, as in AWS's listing.
  'last-accessed-date': 'coalesce(last_accessed_at, -1)',
  'last-changed-date': 'last_changed_at',
  name: 'name',
} as const;
export type SortKey = keyof typeof SORT_COLUMNS;

/**
 * Rebuilds the secrets table with a region column and names unique per (region, name), keeping every
 * row, its rowid order, and the versions and stages that reference it (foreign keys are off meanwhile).
 */
function regionFromArn(row: { arn: string }): string {
  const region = regionOfArn(row.arn);
  if (region === undefined) throw new Error(`The data dir holds a secret with a malformed ARN: ${row.arn}`);
  return region;
}

function rebuildSecrets(db: Database.Database, regionOf: (row: { arn: string }) => string): void {
  db.exec(`CREATE TABLE secrets_with_region (
     arn TEXT PRIMARY KEY,
     region TEXT NOT NULL,
     name TEXT NOT NULL,
     description TEXT,
     kms_key_id TEXT,
     created_at INTEGER NOT NULL,
     last_changed_at INTEGER NOT NULL,
     last_accessed_at INTEGER,
     deleted_at INTEGER,
     deletion_date INTEGER,
     tags TEXT NOT NULL DEFAULT '[]',
     policy TEXT,
     rotation TEXT,
     data_key BLOB NOT NULL,
     UNIQUE (region, name)
   )`);
  const columns =
    'arn, name, description, kms_key_id, created_at, last_changed_at, last_accessed_at, deleted_at, deletion_date, tags, policy, rotation, data_key';
  const insert = db.prepare(
    `INSERT INTO secrets_with_region (region, ${columns}) VALUES (@region, ${columns
      .split(', ')
      .map((c) => `@${c}`)
      .join(', ')})`,
  );
  for (const row of db.prepare(`SELECT ${columns} FROM secrets ORDER BY rowid`).all() as { arn: string }[]) {
    insert.run({ ...row, region: regionOf(row) });
  }
  db.exec('DROP TABLE secrets');
  db.exec('ALTER TABLE secrets_with_region RENAME TO secrets');
}

interface SecretRow {
  rowid: number;
  arn: string;
  region: string;
  name: string;
  description: string | null;
  kms_key_id: string | null;
  created_at: number;
  last_changed_at: number;
  last_accessed_at: number | null;
  deleted_at: number | null;
  deletion_date: number | null;
  tags: string;
  tagged: number;
  type: string | null;
  owning_service: string | null;
  primary_arn: string | null;
  replicas: string;
  policy: string | null;
  policy_mac: Buffer | null;
  rotation: string | null;
  data_key: Buffer;
}

const DAY_MS = 86_400_000;
const KEY_CHECK = 'coffer master key check';

export interface StoreOptions {
  /** Folder for `secrets.db`; omitted means an in-memory database. */
  dataDir?: string;
  masterKey: Buffer;
  /**
   * Told, once per row, about an access rule (a credential, a resource policy) that fails its integrity check:
   * the database file was changed without the master key. @default a line on standard error
   */
  onIntegrityFailure?: (message: string) => void;
}

interface CredentialRow {
  access_key_id: string;
  user_name: string;
  secret_access_key: Buffer;
  policy: string;
  created_at: number;
  owning_service: string | null;
}

/** The AAD a credential's secret key is sealed with: everything that decides what the credential may do. */
const credentialAad = (row: {
  access_key_id: string;
  user_name: string;
  policy: string;
  owning_service: string | null;
}): string =>
  `credential:${row.access_key_id}\u0000${row.user_name}\u0000${row.policy}\u0000${row.owning_service ?? ''}`;

/**
 * Secrets, versions, staging labels and credentials in SQLite. WAL with `synchronous=FULL`, so a
 * write is on disk before it is acknowledged; every value is sealed with AES-256-GCM under a
 * per-secret data key, itself sealed under the master key, so the database file holds no plaintext.
 */
export class Store {
  private readonly db: Database.Database;
  private readonly masterKey: Buffer;
  /** Unsealed data keys, so a hot read costs one AES-GCM operation and not two. */
  private readonly dataKeys = new Map<string, Buffer>();
  /**
   * Read cache per secret ARN, so a hot GetSecretValue runs no SQL and no AES-GCM. Every write method
   * drops the entry of the ARN it writes (before writing, so even a failed write leaves nothing
   * stale), and a rolled-back transaction drops everything: entries are only ever filled from the
   * database, and the database is the truth.
   */
  private readonly cache = new Map<string, CachedSecret>();
  /** One prepared statement per listing order (at most 16). */
  private readonly orderedStatements = new Map<string, Database.Statement>();
  /** region + name -> ARN for cached entries; checked against the entry on use. */
  private readonly arnByName = new Map<string, string>();
  private readonly stmt;
  /** Derived from the master key: authenticates the access rules kept in the database. */
  private readonly rulesKey: Buffer;
  private readonly onIntegrityFailure: (message: string) => void;
  /** Rows already reported as failing their integrity check, so each is reported once. */
  private readonly reported = new Set<string>();

  constructor(options: StoreOptions) {
    this.masterKey = options.masterKey;
    this.rulesKey = Buffer.from(
      hkdfSync('sha256', options.masterKey, Buffer.alloc(0), 'coffer-local access rules', 32),
    );
    this.onIntegrityFailure =
      options.onIntegrityFailure ?? ((message) => process.stderr.write(`coffer local: ${message}\n`));
    let file = ':memory:';
    if (options.dataDir !== undefined) {
      mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
      file = join(options.dataDir, 'secrets.db');
      // Create the file ourselves so it is 0600 from its first byte; SQLite gives -wal and -shm the same mode.
      closeSync(openSync(file, 'a', 0o600));
      chmodSync(file, 0o600);
    }
    this.db = new Database(file);
    try {
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = FULL');
      this.db.pragma('foreign_keys = ON');
      this.migrate();
      this.checkMasterKey();
      this.protectAccessRules();
      this.stmt = this.prepare();
    } catch (error) {
      // A refused start (wrong master key) must not keep the database open and locked.
      this.db.close();
      throw error;
    }
  }

  private migrate(): void {
    const version = this.db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA.length) {
      throw new Error(
        `This data dir was written by a newer version of @coffer/local (schema ${version}, this one knows ${SCHEMA.length}): upgrade @coffer/local to open it.`,
      );
    }
    if (version === SCHEMA.length) return;
    // A step that rebuilds a table must not cascade deletes to the rows that reference it (a no-op inside
    // a transaction, so it is switched here); the check after the steps proves nothing was left dangling.
    this.db.pragma('foreign_keys = OFF');
    try {
      this.db.transaction(() => {
        for (const step of SCHEMA.slice(version)) {
          if (typeof step === 'string') this.db.exec(step);
          else step(this.db);
        }
        const dangling = this.db.pragma('foreign_key_check') as unknown[];
        if (dangling.length > 0)
          throw new Error('The data dir migration left dangling rows; nothing was changed.');
        this.db.pragma(`user_version = ${SCHEMA.length}`);
      })();
    } finally {
      this.db.pragma('foreign_keys = ON');
    }
  }

  private checkMasterKey(): void {
    const row = this.db.prepare('SELECT value FROM meta WHERE key = ?').get('key_check') as
      | { value: Buffer }
      | undefined;
    if (!row) {
      this.db
        .prepare('INSERT INTO meta (key, value) VALUES (?, ?)')
        .run('key_check', seal(this.masterKey, Buffer.from(KEY_CHECK), 'meta:key_check'));
      return;
    }
    try {
      open(this.masterKey, row.value, 'meta:key_check');
    } catch (error) {
      if (error instanceof DecryptError) {
        throw new Error(
          'The master key does not match this data directory. Use the master.key file that created it, or set COFFER_MASTER_KEY to that key.',
        );
      }
      throw error;
    }
  }

  /**
   * Data dirs written before access rules were authenticated get their MACs and rebound credential seals on
   * the first open with the master key (their content is trusted once, as it was before). From then on a row
   * changed without the master key fails its check.
   */
  private protectAccessRules(): void {
    const done = this.db.prepare('SELECT 1 FROM meta WHERE key = ?').get('access_rules');
    if (done) return;
    this.db.transaction(() => {
      const setMac = this.db.prepare('UPDATE secrets SET policy_mac = ? WHERE arn = ?');
      for (const row of this.db.prepare('SELECT arn, policy FROM secrets').all() as {
        arn: string;
        policy: string | null;
      }[]) {
        setMac.run(this.policyMac(row.arn, row.policy), row.arn);
      }
      const reseal = this.db.prepare('UPDATE credentials SET secret_access_key = ? WHERE access_key_id = ?');
      for (const row of this.db.prepare('SELECT * FROM credentials').all() as CredentialRow[]) {
        const key = open(this.masterKey, row.secret_access_key, `credential:${row.access_key_id}`);
        reseal.run(seal(this.masterKey, key, credentialAad(row)), row.access_key_id);
      }
      this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run('access_rules', Buffer.from('1'));
    })();
  }

  /** The MAC of a secret's resource policy, or of its having none. */
  private policyMac(arn: string, policy: string | null): Buffer {
    return createHmac('sha256', this.rulesKey)
      .update(`policy\u0000${arn}\u0000${policy ?? ''}`)
      .digest();
  }

  private reportOnce(key: string, message: string): void {
    if (this.reported.has(key)) return;
    this.reported.add(key);
    this.onIntegrityFailure(message);
  }

  /** A secret row as a record, its policy checked against its MAC. */
  private record(row: SecretRow): SecretRecord {
    const record = toRecord(row);
    const expected = this.policyMac(row.arn, row.policy);
    if (
      row.policy_mac === null ||
      row.policy_mac.length !== expected.length ||
      !timingSafeEqual(row.policy_mac, expected)
    ) {
      record.policyTampered = true;
      this.reportOnce(
        `policy:${row.arn}`,
        `the resource policy of ${row.arn} fails its integrity check: the data dir was changed without the master key. Every call on the secret is refused but the admin's, who can set the policy again (PutResourcePolicy or DeleteResourcePolicy).`,
      );
    }
    return record;
  }

  private prepare() {
    const db = this.db;
    return {
      byArn: db.prepare<[string], SecretRow>('SELECT rowid, * FROM secrets WHERE arn = ?'),
      byName: db.prepare<[string, string], SecretRow>(
        'SELECT rowid, * FROM secrets WHERE region = ? AND name = ?',
      ),
      regions: db.prepare<[], string>('SELECT DISTINCT region FROM secrets ORDER BY region').pluck(),
      withRotation: db.prepare<[], SecretRow>(
        'SELECT rowid, * FROM secrets WHERE rotation IS NOT NULL ORDER BY created_at, rowid',
      ),
      insertSecret: db.prepare(
        `INSERT INTO secrets (arn, region, name, description, kms_key_id, created_at, last_changed_at, tags, tagged,
           type, owning_service, primary_arn, data_key, policy_mac)
         VALUES (@arn, @region, @name, @description, @kmsKeyId, @createdAt, @lastChangedAt, @tags, @tagged,
           @type, @owningService, @primaryArn, @dataKey, @policyMac)`,
      ),
      deleteSecret: db.prepare<[string]>('DELETE FROM secrets WHERE arn = ?'),
      dueForPurge: db.prepare<[number], { arn: string }>(
        'SELECT arn FROM secrets WHERE deletion_date IS NOT NULL AND deletion_date <= ?',
      ),
      stageHolder: db.prepare<[string, string], { version_id: string }>(
        'SELECT version_id FROM stages WHERE secret_arn = ? AND stage = ?',
      ),
      version: db.prepare<
        [string, string],
        { kind: string | null; value: Buffer | null; last_accessed_at: number | null; created_at: number }
      >(
        'SELECT kind, value, last_accessed_at, created_at FROM versions WHERE secret_arn = ? AND version_id = ?',
      ),
      versions: db.prepare<
        [string],
        { version_id: string; created_at: number; last_accessed_at: number | null; kind: string | null }
      >(
        'SELECT version_id, created_at, last_accessed_at, kind FROM versions WHERE secret_arn = ? ORDER BY seq DESC',
      ),
      stagesOf: db.prepare<[string], { stage: string; version_id: string }>(
        'SELECT stage, version_id FROM stages WHERE secret_arn = ? ORDER BY rowid',
      ),
      nextSeq: db.prepare<[string], { seq: number }>(
        'SELECT COALESCE(MAX(seq), 0) + 1 AS seq FROM versions WHERE secret_arn = ?',
      ),
      insertVersion: db.prepare(
        `INSERT INTO versions (secret_arn, version_id, seq, created_at, kind, value)
         VALUES (@arn, @versionId, @seq, @createdAt, @kind, @value)
         ON CONFLICT (secret_arn, version_id) DO UPDATE SET kind = excluded.kind, value = excluded.value`,
      ),
      deleteVersion: db.prepare<[string, string]>(
        'DELETE FROM versions WHERE secret_arn = ? AND version_id = ?',
      ),
      setStage: db.prepare<[string, string, string]>(
        `INSERT INTO stages (secret_arn, stage, version_id) VALUES (?, ?, ?)
         ON CONFLICT (secret_arn, stage) DO UPDATE SET version_id = excluded.version_id`,
      ),
      removeStage: db.prepare<[string, string]>('DELETE FROM stages WHERE secret_arn = ? AND stage = ?'),
      touchSecret: db.prepare<[number, string]>('UPDATE secrets SET last_accessed_at = ? WHERE arn = ?'),
      touchVersion: db.prepare<[number, string, string]>(
        'UPDATE versions SET last_accessed_at = ? WHERE secret_arn = ? AND version_id = ?',
      ),
      credentials: db.prepare<[], CredentialRow>('SELECT * FROM credentials ORDER BY created_at'),
      insertCredential: db.prepare(
        `INSERT INTO credentials (access_key_id, user_name, secret_access_key, policy, created_at, owning_service)
         VALUES (@accessKeyId, @userName, @secret, @policy, @createdAt, @owningService)`,
      ),
      deleteCredential: db.prepare<[string]>('DELETE FROM credentials WHERE user_name = ?'),
      dataVersion: db.prepare<[], number>('PRAGMA data_version').pluck(),
    };
  }

  /** Runs `fn` atomically: every write in it is committed (and synced) together or not at all. */
  transaction<T>(fn: () => T): T {
    try {
      return this.db.transaction(fn)();
    } catch (error) {
      // Rolled back: entries filled or kept during `fn` may describe writes that never happened.
      this.dropCache();
      throw error;
    }
  }

  findByArn(arn: string): SecretRecord | undefined {
    return this.cached(arn)?.record;
  }

  /** The secret of that name in a region. */
  findByName(region: string, name: string): SecretRecord | undefined {
    const arn = this.arnByName.get(nameKey(region, name));
    const hit = arn === undefined ? undefined : this.cache.get(arn);
    if (hit !== undefined && hit.record.name === name && hit.record.region === region) return hit.record;
    const row = this.stmt.byName.get(region, name);
    return row && this.fill(row).record;
  }

  /** The regions that hold at least one secret. */
  regions(): string[] {
    return this.stmt.regions.all();
  }

  /**
   * A region's secrets in a listing order, starting after a keyset position (a sort value and the rowid that
   * breaks ties). Rows are read from the order's index a chunk at a time as the caller iterates, so a page
   * costs what it returns; between chunks the connection is free for the caller's own queries.
   */
  *ordered(
    region: string,
    by: SortKey,
    order: 'asc' | 'desc',
    after?: readonly [number | string, number],
  ): Generator<SecretRecord> {
    const chunk = 128;
    let position = after;
    for (;;) {
      const rows = this.orderedStatement(by, order, position !== undefined).all(
        ...(position === undefined ? [region, chunk] : [region, position[0], position[1], chunk]),
      ) as (SecretRow & { sort_value: number | string })[];
      for (const row of rows) yield this.record(row);
      const last = rows.at(-1);
      if (last === undefined || rows.length < chunk) return;
      position = [last.sort_value, last.rowid];
    }
  }

  private orderedStatement(by: SortKey, order: 'asc' | 'desc', hasPosition: boolean): Database.Statement {
    const key = `${by} ${order} ${hasPosition}`;
    let statement = this.orderedStatements.get(key);
    if (statement === undefined) {
      // Column names and directions come from the fixed table above, never from input.
      const column = SORT_COLUMNS[by];
      const [direction, compare] = order === 'asc' ? ['ASC', '>'] : ['DESC', '<'];
      const where = hasPosition ? `AND (${column}, rowid) ${compare} (?, ?)` : '';
      statement = this.db.prepare(
        `SELECT rowid, *, ${column} AS sort_value FROM secrets WHERE region = ? ${where} ORDER BY ${column} ${direction}, rowid ${direction} LIMIT ?`,
      );
      this.orderedStatements.set(key, statement);
    }
    return statement;
  }

  /**
   * Every secret that has rotation configured, oldest first: what the rotation schedule checks each minute.
   * Read through a partial index, so the check costs the rotating secrets, not the whole store.
   */
  withRotation(): SecretRecord[] {
    return this.stmt.withRotation.all().map((row) => this.record(row));
  }

  createSecret(
    record: Omit<
      SecretRecord,
      'seq' | 'lastAccessedAt' | 'deletedAt' | 'deletionDate' | 'policy' | 'rotation' | 'tagged' | 'replicas'
    >,
  ): void {
    this.invalidate(record.arn);
    const dataKey = newKey();
    this.stmt.insertSecret.run({
      arn: record.arn,
      region: record.region,
      name: record.name,
      description: record.description ?? null,
      kmsKeyId: record.kmsKeyId ?? null,
      createdAt: record.createdAt,
      lastChangedAt: record.lastChangedAt,
      tags: JSON.stringify(record.tags),
      tagged: record.tags.length > 0 ? 1 : 0,
      type: record.type ?? null,
      owningService: record.owningService ?? null,
      primaryArn: record.primaryArn ?? null,
      dataKey: seal(this.masterKey, dataKey, `datakey:${record.arn}`),
      // A new secret has no resource policy; its MAC says so.
      policyMac: this.policyMac(record.arn, null),
    });
    this.dataKeys.set(record.arn, dataKey);
  }

  /** Updates metadata columns; only the fields given change. */
  updateSecret(
    arn: string,
    patch: Partial<
      Pick<
        SecretRecord,
        | 'description'
        | 'kmsKeyId'
        | 'lastChangedAt'
        | 'deletedAt'
        | 'deletionDate'
        | 'tags'
        | 'type'
        | 'primaryArn'
        | 'replicas'
        | 'policy'
        | 'rotation'
      >
    >,
  ): void {
    const columns: Record<string, unknown> = {};
    if ('description' in patch) columns.description = patch.description ?? null;
    if ('kmsKeyId' in patch) columns.kms_key_id = patch.kmsKeyId ?? null;
    if ('lastChangedAt' in patch) columns.last_changed_at = patch.lastChangedAt;
    if ('deletedAt' in patch) columns.deleted_at = patch.deletedAt ?? null;
    if ('deletionDate' in patch) columns.deletion_date = patch.deletionDate ?? null;
    if ('tags' in patch) {
      columns.tags = JSON.stringify(patch.tags ?? []);
      if ((patch.tags ?? []).length > 0) columns.tagged = 1;
    }
    if ('type' in patch) columns.type = patch.type ?? null;
    if ('primaryArn' in patch) columns.primary_arn = patch.primaryArn ?? null;
    if ('replicas' in patch) columns.replicas = JSON.stringify(patch.replicas ?? []);
    if ('policy' in patch) {
      columns.policy = patch.policy ?? null;
      columns.policy_mac = this.policyMac(arn, patch.policy ?? null);
    }
    if ('rotation' in patch) columns.rotation = patch.rotation ? JSON.stringify(patch.rotation) : null;
    const names = Object.keys(columns);
    if (names.length === 0) return;
    this.invalidate(arn);
    // Column names come from the fixed list above, never from input.
    this.db
      .prepare(`UPDATE secrets SET ${names.map((n) => `${n} = @${n}`).join(', ')} WHERE arn = @arn`)
      .run({ ...columns, arn });
  }

  deleteSecret(arn: string): void {
    // Versions and stages go with the secret (ON DELETE CASCADE), so nothing cached may survive it.
    this.dropCache();
    this.stmt.deleteSecret.run(arn);
    this.dataKeys.delete(arn);
  }

  /** Secrets whose recovery window has ended, to be deleted for good. */
  dueForPurge(now: number): string[] {
    return this.stmt.dueForPurge.all(now).map((r) => r.arn);
  }

  stageHolder(arn: string, stage: string): string | undefined {
    const entry = this.cached(arn);
    if (entry === undefined) return this.stmt.stageHolder.get(arn, stage)?.version_id;
    return this.stagesOf(entry).holders.get(stage);
  }

  /** Every version, newest first, with its staging labels. */
  versions(arn: string): VersionRecord[] {
    const stages = new Map<string, string[]>();
    for (const { stage, version_id } of this.stmt.stagesOf.all(arn)) {
      const list = stages.get(version_id);
      if (list) list.push(stage);
      else stages.set(version_id, [stage]);
    }
    return this.stmt.versions.all(arn).map((row) => ({
      versionId: row.version_id,
      createdAt: row.created_at,
      lastAccessedAt: row.last_accessed_at ?? undefined,
      stages: stages.get(row.version_id) ?? [],
      hasValue: row.kind !== null,
    }));
  }

  /** Staging labels of every version that has one. */
  versionStages(arn: string): Map<string, string[]> {
    // Read from the cache but never filled into it: a listing walks every secret, and filling for each would
    // evict the hot secrets' entries (and cost a second row read, a MAC check and a freeze per secret).
    const entry = this.cache.get(arn);
    // A copy: the caller may change the map; the label lists in it are frozen.
    if (entry !== undefined) return new Map(this.stagesOf(entry).byVersion);
    return groupStages(this.stmt.stagesOf.all(arn)).byVersion;
  }

  /** The staging labels of one version (frozen; empty when it has none), without copying the others. */
  stagesOfVersion(arn: string, versionId: string): readonly string[] {
    const entry = this.cached(arn);
    const stages =
      entry === undefined
        ? groupStages(this.stmt.stagesOf.all(arn)).byVersion.get(versionId)
        : this.stagesOf(entry).byVersion.get(versionId);
    return stages ?? NO_STAGES;
  }

  versionExists(arn: string, versionId: string): boolean {
    return this.version(arn, versionId) !== undefined;
  }

  versionCreatedAt(arn: string, versionId: string): number | undefined {
    return this.version(arn, versionId)?.createdAt;
  }

  /**
   * The decrypted value of a version; undefined when the version is missing or holds no value.
   * Throws DecryptError when the stored ciphertext does not authenticate.
   */
  readValue(arn: string, versionId: string): SecretValue | undefined {
    const version = this.version(arn, versionId);
    if (version === undefined || version.kind === null || version.sealed === null) return undefined;
    let value = version.value;
    if (value === undefined) {
      // Not cached when it does not authenticate: every read reports the DecryptError.
      const plain = open(this.dataKey(arn), version.sealed, valueAad(arn, versionId, version.kind));
      value =
        version.kind === 'string'
          ? Object.freeze({ kind: 'string', text: plain.toString('utf8') })
          : Object.freeze({ kind: 'binary', bytes: plain });
      version.value = value;
    }
    // Buffers cannot be frozen: each caller gets its own copy of binary bytes.
    return value.kind === 'binary' ? { kind: 'binary', bytes: Buffer.from(value.bytes) } : value;
  }

  /** Writes a version's value (creating the version, or filling an empty one). */
  writeVersion(arn: string, versionId: string, value: SecretValue | undefined, createdAt: number): void {
    this.invalidate(arn);
    const kind = value?.kind ?? null;
    const sealed =
      value === undefined
        ? null
        : seal(
            this.dataKey(arn),
            value.kind === 'string' ? Buffer.from(value.text, 'utf8') : value.bytes,
            valueAad(arn, versionId, value.kind),
          );
    const seq = this.stmt.nextSeq.get(arn)?.seq ?? 1;
    this.stmt.insertVersion.run({ arn, versionId, seq, createdAt, kind, value: sealed });
  }

  deleteVersion(arn: string, versionId: string): void {
    this.invalidate(arn);
    this.stmt.deleteVersion.run(arn, versionId);
  }

  setStage(arn: string, stage: string, versionId: string): void {
    this.invalidate(arn);
    this.stmt.setStage.run(arn, stage, versionId);
  }

  removeStage(arn: string, stage: string): void {
    this.invalidate(arn);
    this.stmt.removeStage.run(arn, stage);
  }

  /**
   * Records an access of a secret and one of its versions (a replica's versions are its primary's:
   * `versionsArn`). AWS keeps LastAccessedDate to the day (on the secret and on each version), so this
   * writes at most once a day per secret-version.
   */
  touch(secretArn: string, versionsArn: string, versionId: string, now: number): void {
    const day = Math.floor(now / DAY_MS) * DAY_MS;
    // The stored dates, not the caller's record, which may predate an earlier touch.
    const current = this.findByArn(secretArn);
    if (current === undefined) return;
    const secretDone = current.lastAccessedAt === day;
    const versionDone = this.version(versionsArn, versionId)?.lastAccessedAt === day;
    if (secretDone && versionDone) return;
    this.invalidate(secretArn);
    this.invalidate(versionsArn);
    this.transaction(() => {
      if (!secretDone) this.stmt.touchSecret.run(day, secretArn);
      if (!versionDone) this.stmt.touchVersion.run(day, versionsArn, versionId);
    });
  }

  /** The credentials whose rows are intact; one changed without the master key is left out, and reported. */
  credentials(): StoredCredential[] {
    return this.stmt.credentials.all().flatMap((row) => {
      let secretAccessKey: string;
      try {
        secretAccessKey = open(this.masterKey, row.secret_access_key, credentialAad(row)).toString('utf8');
      } catch (error) {
        if (!(error instanceof DecryptError)) throw error;
        this.reportOnce(
          `credential:${row.access_key_id}`,
          `credential ${row.user_name} (${row.access_key_id}) fails its integrity check: its user, policy or service was changed without the master key. It is refused; remove it and add it again with \`coffer credentials\`.`,
        );
        return [];
      }
      return [
        {
          accessKeyId: row.access_key_id,
          userName: row.user_name,
          secretAccessKey,
          policy: row.policy,
          createdAt: row.created_at,
          owningService: row.owning_service ?? undefined,
        },
      ];
    });
  }

  addCredential(credential: StoredCredential): void {
    this.stmt.insertCredential.run({
      accessKeyId: credential.accessKeyId,
      userName: credential.userName,
      secret: seal(
        this.masterKey,
        Buffer.from(credential.secretAccessKey, 'utf8'),
        credentialAad({
          access_key_id: credential.accessKeyId,
          user_name: credential.userName,
          policy: credential.policy,
          owning_service: credential.owningService ?? null,
        }),
      ),
      policy: credential.policy,
      createdAt: credential.createdAt,
      owningService: credential.owningService ?? null,
    });
  }

  removeCredential(userName: string): boolean {
    return this.stmt.deleteCredential.run(userName).changes > 0;
  }

  /**
   * Whether another connection (`coffer credentials`, another process) committed to the database since
   * the last call. When it did, this store's read cache is dropped: it may describe rows that changed.
   */
  changedElsewhere(): boolean {
    const version = this.stmt.dataVersion.get() as number;
    if (version === this.lastDataVersion) return false;
    const first = this.lastDataVersion === undefined;
    this.lastDataVersion = version;
    if (first) return false;
    this.dropCache();
    this.dataKeys.clear();
    return true;
  }

  private lastDataVersion: number | undefined;

  /** The cache entry of a secret, filled from the database on a miss; undefined when there is no such secret. */
  private cached(arn: string): CachedSecret | undefined {
    const hit = this.cache.get(arn);
    if (hit !== undefined) return hit;
    const row = this.stmt.byArn.get(arn);
    return row && this.fill(row);
  }

  private fill(row: SecretRow): CachedSecret {
    if (this.cache.size >= MAX_CACHED_SECRETS) {
      // Oldest-filled first: cheap, and a local server rarely has this many hot secrets.
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.invalidate(oldest);
    }
    const entry: CachedSecret = {
      record: freezeRecord(this.record(row)),
      stages: undefined,
      versions: new Map(),
    };
    this.cache.set(row.arn, entry);
    this.arnByName.set(nameKey(row.region, row.name), row.arn);
    return entry;
  }

  private stagesOf(entry: CachedSecret): StageMaps {
    entry.stages ??= groupStages(this.stmt.stagesOf.all(entry.record.arn), true);
    return entry.stages;
  }

  /** A version's row (cached with its secret); undefined when the secret or version does not exist. */
  private version(arn: string, versionId: string): CachedVersion | undefined {
    const entry = this.cached(arn);
    if (entry === undefined) return undefined;
    let version = entry.versions.get(versionId);
    if (version === undefined) {
      // Absent versions are cached too (as null): creating one goes through writeVersion, which invalidates.
      const row = this.stmt.version.get(arn, versionId);
      version = row
        ? {
            createdAt: row.created_at,
            lastAccessedAt: row.last_accessed_at ?? undefined,
            kind: row.kind as SecretValue['kind'] | null,
            sealed: row.value,
            value: undefined,
          }
        : null;
      if (entry.versions.size >= MAX_CACHED_VERSIONS) entry.versions.clear();
      entry.versions.set(versionId, version);
    }
    return version ?? undefined;
  }

  private invalidate(arn: string): void {
    const entry = this.cache.get(arn);
    if (entry === undefined) return;
    this.cache.delete(arn);
    const key = nameKey(entry.record.region, entry.record.name);
    if (this.arnByName.get(key) === arn) this.arnByName.delete(key);
  }

  private dropCache(): void {
    this.cache.clear();
    this.arnByName.clear();
  }

  private dataKey(arn: string): Buffer {
    let key = this.dataKeys.get(arn);
    if (!key) {
      const row = this.stmt.byArn.get(arn);
      if (!row) throw new Error(`no secret ${arn}`);
      key = open(this.masterKey, row.data_key, `datakey:${arn}`);
      this.dataKeys.set(arn, key);
    }
    return key;
  }

  close(): void {
    this.db.close();
  }
}

const NO_STAGES: readonly string[] = Object.freeze([]);

/** Bounds for the read cache (it holds decrypted values, each up to 64 KiB). */
const MAX_CACHED_SECRETS = 1024;
const MAX_CACHED_VERSIONS = 128;

interface CachedVersion {
  createdAt: number;
  lastAccessedAt: number | undefined;
  kind: SecretValue['kind'] | null;
  sealed: Buffer | null;
  /** Decrypted on first read. */
  value: SecretValue | undefined;
}

interface StageMaps {
  /** stage -> version id */
  holders: Map<string, string>;
  /** version id -> its stages, in the order they were attached */
  byVersion: Map<string, string[]>;
}

interface CachedSecret {
  /** Frozen: it is handed to every caller. */
  record: SecretRecord;
  stages: StageMaps | undefined;
  /** null: the version does not exist. */
  versions: Map<string, CachedVersion | null>;
}

function groupStages(rows: { stage: string; version_id: string }[], freeze = false): StageMaps {
  const holders = new Map<string, string>();
  const byVersion = new Map<string, string[]>();
  for (const { stage, version_id } of rows) {
    holders.set(stage, version_id);
    const list = byVersion.get(version_id);
    if (list) list.push(stage);
    else byVersion.set(version_id, [stage]);
  }
  if (freeze) for (const list of byVersion.values()) Object.freeze(list);
  return { holders, byVersion };
}

/** Cached records are shared by every caller, so none may change one in place. */
const freezeRecord = (record: SecretRecord): SecretRecord => deepFreeze(record);

/** Names are unique per region: the key of the name index. */
const nameKey = (region: string, name: string): string => `${region}\u0000${name}`;

const valueAad = (arn: string, versionId: string, kind: string): string =>
  `value:${arn}\u0000${versionId}\u0000${kind}`;

function toRecord(row: SecretRow): SecretRecord {
  return {
    seq: row.rowid,
    arn: row.arn,
    region: row.region,
    name: row.name,
    description: row.description ?? undefined,
    kmsKeyId: row.kms_key_id ?? undefined,
    createdAt: row.created_at,
    lastChangedAt: row.last_changed_at,
    lastAccessedAt: row.last_accessed_at ?? undefined,
    deletedAt: row.deleted_at ?? undefined,
    deletionDate: row.deletion_date ?? undefined,
    tags: JSON.parse(row.tags) as Tag[],
    tagged: row.tagged === 1,
    type: row.type ?? undefined,
    owningService: row.owning_service ?? undefined,
    primaryArn: row.primary_arn ?? undefined,
    replicas: JSON.parse(row.replicas) as ReplicaStatus[],
    policy: row.policy ?? undefined,
    rotation: row.rotation ? (JSON.parse(row.rotation) as Record<string, unknown>) : undefined,
  };
}
