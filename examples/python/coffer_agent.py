"""Read secrets through a local secrets agent: `coffer agent`, or AWS's Secrets Manager agent.

Standard library only (urllib). The agent does the caching, the refreshing and the retrying for every process
on the host, so this module keeps no state of its own beyond where the agent is and its token.

    from coffer_agent import SecretCache, get_secret

    db = SecretCache().get_json("prod/database/postgres")   # {"username": ..., "password": ..., ...}
    api_key = get_secret("prod/api-key")

Configuration, as AWS's agent's clients read it:
    COFFER_AGENT_URL   where the agent listens (default http://localhost:2773)
    AWS_TOKEN          the token, or file:///path/to/token (default: the file /var/run/awssmatoken)
"""

import json
import os
import urllib.error
import urllib.parse
import urllib.request

DEFAULT_URL = "http://localhost:2773"
DEFAULT_TOKEN_FILE = "/var/run/awssmatoken"
TOKEN_HEADER = "X-Aws-Parameters-Secrets-Token"


class AgentError(Exception):
    """The agent answered with an error: `status` is the HTTP status, `type` AWS's error code when it sent one."""

    def __init__(self, status, type_, message):
        super().__init__(f"{status} {type_}: {message}" if message else f"{status} {type_}")
        self.status = status
        self.type = type_


def _token():
    value = os.environ.get("AWS_TOKEN")
    if value and not value.startswith("file://"):
        return value
    path = value[len("file://"):] if value else DEFAULT_TOKEN_FILE
    with open(path, encoding="utf-8") as handle:
        return handle.read().strip()


class SecretCache:
    """The seed's `secret_cache.get(name)` pattern, reading through the agent's shared cache."""

    def __init__(self, url=None, token=None, timeout=5.0):
        self.url = (url or os.environ.get("COFFER_AGENT_URL") or DEFAULT_URL).rstrip("/")
        self._token = token
        self.timeout = timeout

    def __repr__(self):
        # Never shows the token.
        return f"SecretCache(url={self.url!r})"

    def _get(self, path, params):
        query = urllib.parse.urlencode({k: v for k, v in params.items() if v is not None})
        request = urllib.request.Request(
            f"{self.url}{path}?{query}", headers={TOKEN_HEADER: self._token or _token()}
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return response.read().decode("utf-8")
        except urllib.error.HTTPError as error:
            body = error.read().decode("utf-8", "replace")
            try:
                parsed = json.loads(body)
                raise AgentError(error.code, parsed.get("__type", "Error"), parsed.get("message", "")) from None
            except ValueError:
                raise AgentError(error.code, body, "") from None

    def get(self, secret_id, version_stage=None, refresh=False):
        """The secret's SecretString."""
        return self.get_secret_value(secret_id, version_stage, refresh)["SecretString"]

    def get_secret_value(self, secret_id, version_stage=None, refresh=False):
        """GetSecretValue's whole answer: ARN, Name, VersionId, SecretString (or SecretBinary), VersionStages."""
        return json.loads(
            self._get(
                "/secretsmanager/get",
                {"secretId": secret_id, "versionStage": version_stage, "refreshNow": "true" if refresh else None},
            )
        )

    def get_json(self, secret_id, version_stage=None, refresh=False):
        """The secret parsed as JSON, e.g. a database secret's username, password, host and port."""
        return json.loads(self.get(secret_id, version_stage, refresh))

    def get_key(self, secret_id, key):
        """One key of a JSON secret (a Coffer agent extension: AWS's agent answers 400 to `key`)."""
        return self._get("/secretsmanager/get", {"secretId": secret_id, "key": key})


_default = None


def get_secret(secret_id, version_stage=None):
    """The seed's `get_secret(name)`: the SecretString, through the agent."""
    global _default
    if _default is None:
        _default = SecretCache()
    return _default.get(secret_id, version_stage)
