#!/bin/sh
# Reads a secret through a local secrets agent (`coffer agent`, or AWS's Secrets Manager agent) with curl.
#   get-secret.sh <secret-id>           GetSecretValue's JSON answer
#   get-secret.sh <secret-id> <key>     one key of a JSON secret, as text (a Coffer agent extension)
# COFFER_AGENT_URL (default http://localhost:2773); AWS_TOKEN holds the token or file://<path>
# (default: the file /var/run/awssmatoken). Exits non-zero, printing the agent's error, when the read fails.
set -eu
[ $# -ge 1 ] || { echo "usage: $0 <secret-id> [key]" >&2; exit 2; }
agent=${COFFER_AGENT_URL:-http://localhost:2773}
case "${AWS_TOKEN:-}" in
  file://*) token=$(cat "${AWS_TOKEN#file://}") ;;
  "") token=$(cat /var/run/awssmatoken) ;;
  *) token=$AWS_TOKEN ;;
esac
# The token goes in a header read from stdin, so it never shows in the process list.
printf 'X-Aws-Parameters-Secrets-Token: %s\n' "$token" |
  curl --silent --show-error --fail-with-body --get -H @- \
    --data-urlencode "secretId=$1" ${2:+--data-urlencode "key=$2"} \
    "$agent/secretsmanager/get"
