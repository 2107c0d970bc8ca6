#!/usr/bin/env bash
# Browser tests of the portal: builds callrec, then for each *.test.mjs
# starts `callrec demo` on free ports with a throw-away data directory and
# runs that node:test file against it with Debian's Chromium.
#   e2e/run.sh    CHROMIUM=/path/to/chromium and CALLREC_BIN=/prebuilt/callrec override the defaults;
#                 E2E_ONLY=recordings runs one file
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

chromium_bin="${CHROMIUM:-/usr/bin/chromium}"
if [[ ! -x "$chromium_bin" ]]; then
  echo "e2e: SKIPPED — no Chromium at $chromium_bin (install Debian's chromium package, or set CHROMIUM=…)." >&2
  exit 0
fi

if [[ ! -d "$here/node_modules/playwright-core" ]]; then
  (cd "$here" && npm ci --no-audit --no-fund)
fi

bin="${CALLREC_BIN:-}"
if [[ -z "$bin" ]]; then
  echo "e2e: building callrec" >&2
  (cd "$root" && go build -o "$work/callrec" ./cmd/callrec)
  bin="$work/callrec"
fi

mkdir -p "$here/screenshots"
status=0
# Each test file gets a demo of its own, so that one file's changes (a user
# who enrolled 2-step verification, a connected Teams tenant) cannot upset
# another's.
for file in "$here"/${E2E_ONLY:-*}.test.mjs; do
  name="$(basename "$file" .test.mjs)"
  http_port="$(free_port)"
  base="http://127.0.0.1:$http_port"
  ms_port="$(free_port)"
  pp_port="$(free_port)"
  sip_target="127.0.0.1:$(free_port)"
  rm -rf "$work/data"
  "$bin" demo --http-addr "127.0.0.1:$http_port" --sip-addr "$sip_target" \
    --data-dir "$work/data" --public-url "$base" --msemu-addr "127.0.0.1:$ms_port" \
    --provider-portal-addr "127.0.0.1:$pp_port" >"$work/server-$name.log" 2>&1 &
  server_pid=$!
  echo "e2e: $name: waiting for $base/readyz" >&2
  ready=""
  for _ in $(seq 1 120); do
    if node -e 'fetch(process.argv[1]).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))' "$base/readyz"; then
      ready=1
      break
    fi
    if ! kill -0 "$server_pid" 2>/dev/null; then
      break
    fi
    sleep 0.5
  done
  if [[ -z "$ready" ]]; then
    echo "e2e: callrec demo for $name did not start:" >&2
    cat "$work/server-$name.log" >&2
    exit 1
  fi
  file_status=0
  (cd "$here" && BASE_URL="$base" MS_URL="http://127.0.0.1:$ms_port" PROVIDER_PORTAL_URL="http://127.0.0.1:$pp_port" SIP_TARGET="$sip_target" CALLREC_BIN="$bin" SCREENSHOTS="$here/screenshots" node --test --test-reporter=spec "$file") || file_status=$?
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
  cp "$work/server-$name.log" "$here/screenshots/server-$name.log"
  if [[ $file_status -ne 0 ]]; then
    status=$file_status
    # CI keeps only what it printed: the server's side of a failure goes there too.
    echo "e2e: $name failed; the last 80 lines of its callrec demo log:" >&2
    tail -n 80 "$work/server-$name.log" >&2
  fi
done
exit $status
