#!/usr/bin/env bash
# The API fuzzer: schemathesis (from .venv) over every operation of /v1/openapi.json on a fresh
# local stack, as a tenant's admin key. Fails on any 5xx and on any answer that does not conform
# to its documented status, content type and schema. EXAMPLES per operation (default 25); SEED
# makes a run repeatable (`make test` fixes it; `make fuzz-api` draws a new one each time).
# Two operations are left out because they end the run's own footing: revoking API keys (it would
# revoke the key the fuzzer uses) and changing the tenant (it would rate-limit it to 1 a minute).
set -euo pipefail
cd "$(dirname "$0")/../.."
examples=${EXAMPLES:-25}
free_port() { .venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(free_port)
aws_port=$(free_port)
admin="fuzz-platform-admin-$(.venv/bin/python -c 'import secrets; print(secrets.token_hex(16))')"
log=$(mktemp)

cargo build --locked --quiet -p faultline-local --bin faultline-local
FAULTLINE_PORT=$port FAULTLINE_AWS_PORT=$aws_port FAULTLINE_BOOTSTRAP_API_KEY=$admin RUST_LOG=error \
  setsid "${CARGO_TARGET_DIR:-target}/debug/faultline-local" >"$log" 2>&1 &
hub=$!
trap 'kill -INT -- "-$hub" 2>/dev/null || true; wait "$hub" 2>/dev/null || true; rm -f "$log"' EXIT
base="http://127.0.0.1:$port"
# HTTP through the project's Python (no curl needed on the machine).
http() { .venv/bin/python - "$@" <<'PY'
import json, sys, urllib.request
method, url, token, body = sys.argv[1:5]
request = urllib.request.Request(url, method=method, data=body.encode() or None,
    headers={"authorization": f"Bearer {token}", "content-type": "application/json"})
print(urllib.request.urlopen(request, timeout=5).read().decode())
PY
}
until http GET "$base/health" "" "" >/dev/null 2>&1; do
  if ! kill -0 "$hub" 2>/dev/null; then echo "the local stack did not start:"; cat "$log"; exit 1; fi
  sleep 0.2
done

# A tenant whose keys may make as many requests as the fuzzer sends.
tenant=$(http POST "$base/v1/tenants" "$admin" '{"name":"fuzz"}')
tenant_id=$(echo "$tenant" | .venv/bin/python -c 'import json,sys; print(json.load(sys.stdin)["tenant"]["id"])')
key=$(echo "$tenant" | .venv/bin/python -c 'import json,sys; print(json.load(sys.stdin)["api_key"]["key"])')
http PATCH "$base/v1/tenants/$tenant_id" "$admin" '{"api_rate_limit_per_minute": 100000}' >/dev/null

.venv/bin/schemathesis run "$base/v1/openapi.json" \
  --header "Authorization: Bearer $key" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
  --exclude-operation-id revoke_api_key --exclude-operation-id update_tenant \
  --max-examples "$examples" --workers 2 --no-color ${SEED:+--seed "$SEED"}
