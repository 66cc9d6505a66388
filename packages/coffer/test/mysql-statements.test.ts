import { describe, expect, it } from 'vitest';
import { grantChanges, parseGrants, UnknownGrantError } from '../src/rotation/mysql/grants.js';
import { mysqlNativePasswordHash } from '../src/rotation/mysql/index.js';
import { identifiedClause, pluginIn, setOwnPassword } from '../src/rotation/mysql/passwords.js';
import { accountName, printedAccountNames, quoteText } from '../src/rotation/mysql/sql.js';

/**
 * The statements the MySQL rotators build, without a server: the hash, the password clauses for each server
 * and plugin (MySQL's are not exercised against a server here: the tests run MariaDB), and reading SHOW GRANTS.
 * rotation-mysql.test.ts runs them against a real MariaDB.
 */
describe('mysqlNativePasswordHash', () => {
  it("is MySQL's PASSWORD(): * and uppercase hex of SHA1(SHA1(password))", () => {
    // SELECT PASSWORD('secret') on MySQL 5.7 and MariaDB.
    expect(mysqlNativePasswordHash('secret')).toBe('*14E65567ABDB5135D0CFD9A70B3032C179A49EE7');
    expect(mysqlNativePasswordHash('pässwörd')).toMatch(/^\*[0-9A-F]{40}$/);
    expect(() => mysqlNativePasswordHash('')).toThrow(TypeError);
  });
});

describe('password clauses', () => {
  const hash = mysqlNativePasswordHash('pw-123');

  it('give mysql_native_password accounts a hash, on MariaDB and MySQL, never the password', () => {
    expect(identifiedClause('mariadb', 'mysql_native_password', 'pw-123', false)).toBe(
      `IDENTIFIED VIA mysql_native_password USING '${hash}'`,
    );
    expect(identifiedClause('mysql', 'mysql_native_password', 'pw-123', true)).toBe(
      `IDENTIFIED WITH mysql_native_password AS '${hash}'`,
    );
    expect(identifiedClause('mariadb', '', 'pw-123', false)).toContain(hash);
    expect(setOwnPassword('mariadb', 'mysql_native_password', 'pw-123', false)).toBe(
      `SET PASSWORD = '${hash}'`,
    );
    expect(setOwnPassword('mysql', 'mysql_native_password', 'pw-123', true)).toBe(
      `ALTER USER CURRENT_USER() IDENTIFIED WITH mysql_native_password AS '${hash}'`,
    );
  });

  it('send plain text to plaintext-only plugins only when allowed', () => {
    expect(identifiedClause('mysql', 'caching_sha2_password', 'pw-123', false)).toBeUndefined();
    expect(setOwnPassword('mysql', 'caching_sha2_password', 'pw-123', false)).toBeUndefined();
    expect(identifiedClause('mariadb', 'ed25519', 'pw-123', false)).toBeUndefined();
    expect(identifiedClause('mysql', 'caching_sha2_password', "p'w", true)).toBe(
      "IDENTIFIED WITH caching_sha2_password BY 'p''w'",
    );
    expect(identifiedClause('mariadb', 'ed25519', 'pw-123', true)).toBe(
      "IDENTIFIED VIA ed25519 USING PASSWORD('pw-123')",
    );
    expect(setOwnPassword('mariadb', 'ed25519', 'pw-123', true)).toBe("SET PASSWORD = PASSWORD('pw-123')");
    expect(setOwnPassword('mysql', 'caching_sha2_password', 'pw-123', true)).toBe(
      "ALTER USER CURRENT_USER() IDENTIFIED BY 'pw-123'",
    );
    // A plugin name is written into SQL unquoted: anything but a word is refused.
    expect(identifiedClause('mysql', 'x; DROP USER y', 'pw', true)).toBeUndefined();
  });

  it("read an account's plugin from SHOW CREATE USER", () => {
    expect(pluginIn(` IDENTIFIED BY PASSWORD '${hash}' REQUIRE SSL`)).toBe('mysql_native_password');
    expect(pluginIn(" IDENTIFIED VIA ed25519 USING 'abc'")).toBe('ed25519');
    expect(pluginIn(" IDENTIFIED WITH 'caching_sha2_password' AS 0x24412430")).toBe('caching_sha2_password');
    expect(pluginIn('')).toBe('mysql_native_password');
  });

  it('quote names and text', () => {
    expect(accountName("we`ird'; user", '10.0.%')).toBe("`we``ird'; user`@`10.0.%`");
    expect(quoteText("a'b\\c")).toBe("'a''b\\\\c'");
    expect(printedAccountNames("o'k", '%')).toEqual(["`o'k`@`%`", "'o''k'@'%'", "'o\\'k'@'%'"]);
  });
});

describe('SHOW GRANTS', () => {
  const user = "we`ird'; user";
  const grantee = accountName(user, '127.0.0.1');
  const names = printedAccountNames(user, '127.0.0.1');
  // MariaDB 10.11's own output for such an account.
  const lines = [
    `GRANT \`app_role\` TO ${grantee}`,
    `GRANT USAGE ON *.* TO ${grantee} IDENTIFIED BY PASSWORD '*DB14CBAE92D7CB2F84BD3AA7222415B564A4054A' REQUIRE SSL WITH MAX_QUERIES_PER_HOUR 1000`,
    `GRANT SELECT ON \`appdb\`.* TO ${grantee}`,
    `GRANT SELECT (\`id\`, \`v\`), UPDATE (\`v\`) ON \`appdb\`.\`t\` TO ${grantee} WITH GRANT OPTION`,
    `GRANT EXECUTE ON PROCEDURE \`appdb\`.\`p\` TO ${grantee}`,
    `GRANT PROXY ON \`admin\`@\`%\` TO ${grantee}`,
    `SET DEFAULT ROLE \`app_role\` FOR ${grantee}`,
  ];

  it('reads privileges per object, column privileges one by one, roles and the default role', () => {
    const grants = parseGrants(lines, names);
    expect(
      Object.fromEntries([...grants.privileges].map(([object, set]) => [object, [...set].sort()])),
    ).toEqual({
      '`appdb`.*': ['SELECT'],
      '`appdb`.`t`': ['GRANT OPTION', 'SELECT (`id`)', 'SELECT (`v`)', 'UPDATE (`v`)'],
      'PROCEDURE `appdb`.`p`': ['EXECUTE'],
      '`admin`@`%`': ['PROXY'],
    });
    expect([...grants.roles]).toEqual([['`app_role`', false]]);
    expect(grants.defaultRole).toBe('`app_role`');
  });

  it('turns the differences into grants first, then revokes', () => {
    const wanted = parseGrants(lines, names);
    const clone = accountName(`${user}_clone`, '127.0.0.1');
    const has = parseGrants(
      [
        `GRANT USAGE ON *.* TO ${clone}`,
        `GRANT SELECT, DELETE ON \`appdb\`.* TO ${clone}`,
        `GRANT SELECT (\`id\`) ON \`appdb\`.\`t\` TO ${clone}`,
        `GRANT \`old_role\` TO ${clone} WITH ADMIN OPTION`,
      ],
      printedAccountNames(`${user}_clone`, '127.0.0.1'),
    );
    expect(grantChanges(wanted, has, clone).map((change) => change.sql)).toEqual([
      `GRANT SELECT (\`v\`), UPDATE (\`v\`) ON \`appdb\`.\`t\` TO ${clone} WITH GRANT OPTION`,
      `GRANT EXECUTE ON PROCEDURE \`appdb\`.\`p\` TO ${clone}`,
      `GRANT PROXY ON \`admin\`@\`%\` TO ${clone}`,
      `GRANT \`app_role\` TO ${clone}`,
      `REVOKE DELETE ON \`appdb\`.* FROM ${clone}`,
      `REVOKE \`old_role\` FROM ${clone}`,
      `SET DEFAULT ROLE \`app_role\` FOR ${clone}`,
    ]);
    // Nothing to do once they match; ALL PRIVILEGES covers the privileges it holds.
    expect(grantChanges(wanted, wanted, clone)).toEqual([]);
    const all = parseGrants([`GRANT ALL PRIVILEGES ON \`appdb\`.* TO ${grantee}`], names);
    expect(
      grantChanges(all, parseGrants([`GRANT SELECT ON \`appdb\`.* TO ${grantee}`], names), clone).map(
        (c) => c.sql,
      ),
    ).toEqual([`GRANT ALL PRIVILEGES ON \`appdb\`.* TO ${clone}`]);
  });

  it('refuses lines it does not know, without quoting them', () => {
    expect(() => parseGrants([`REVOKE INSERT ON \`mysql\`.* FROM ${grantee}`], names)).toThrow(
      UnknownGrantError,
    );
    const error = (() => {
      try {
        parseGrants([`GRANT SELECT ON *.* TO \`other\`@\`%\` IDENTIFIED BY PASSWORD '*ABC'`], names);
      } catch (e) {
        return e as Error;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(UnknownGrantError);
    expect(error?.message).not.toContain('*ABC');
  });
});
