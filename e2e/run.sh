#!/usr/bin/env bash
# Browser test of the portal: builds callrec, starts `callrec demo` on a free
# port with a throw-away data directory, and runs the node:test suite in
# portal.test.mjs against it with Debian's Chromium.
#   e2e/run.sh    CHROMIUM=/path/to/chromium and CALLREC_BIN=/prebuilt/callrec override the defaults
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
work="$(mktemp -d)"
server_pid=""

cleanup() {
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

if [[ ! -d "$here/node_modules/playwright-core" ]]; then
  (cd "$here" && npm ci --no-audit --no-fund)
fi

bin="${CALLREC_BIN:-}"
if [[ -z "$bin" ]]; then
  echo "e2e: building callrec" >&2
  (cd "$root" && go build -o "$work/callrec" ./cmd/callrec)
  bin="$work/callrec"
fi

http_port="$(free_port)"
sip_port="$(free_port)"
base="http://127.0.0.1:$http_port"
"$bin" demo --http-addr "127.0.0.1:$http_port" --sip-addr "127.0.0.1:$sip_port" \
  --data-dir "$work/data" --public-url "$base" >"$work/server.log" 2>&1 &
server_pid=$!

echo "e2e: waiting for $base/readyz" >&2
for _ in $(seq 1 120); do
  if node -e 'fetch(process.argv[1]).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))' "$base/readyz"; then
    ready=1
    break
  fi
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "e2e: callrec demo exited early:" >&2
    cat "$work/server.log" >&2
    exit 1
  fi
  sleep 0.5
done
if [[ -z "${ready:-}" ]]; then
  echo "e2e: callrec demo not ready after 60 s:" >&2
  cat "$work/server.log" >&2
  exit 1
fi

mkdir -p "$here/screenshots"
echo "e2e: server log is copied to e2e/screenshots/server.log" >&2
status=0
(cd "$here" && BASE_URL="$base" SCREENSHOTS="$here/screenshots" node --test --test-reporter=spec portal.test.mjs) || status=$?
cp "$work/server.log" "$here/screenshots/server.log"
exit $status
