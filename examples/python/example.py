"""Reads a database secret through the agent and says what it got, without printing the password.

    AWS_TOKEN=file:///var/run/awssmatoken python3 example.py prod/database/postgres
"""

import json
import sys

from coffer_agent import AgentError, SecretCache, get_secret

secret_cache = SecretCache()


def main(secret_id):
    try:
        database = secret_cache.get_json(secret_id)
    except AgentError as error:
        print(f"could not read {secret_id}: {error}", file=sys.stderr)
        return 1
    password = secret_cache.get_key(secret_id, "password")
    same = password == database["password"] == json.loads(get_secret(secret_id))["password"]
    print(f"{secret_id}: user {database['username']}, password read ({'consistent' if same else 'MISMATCH'})")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "prod/database/postgres"))
