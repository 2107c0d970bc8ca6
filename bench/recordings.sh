#!/usr/bin/env bash
# Seed 1,000,000 calls and measure the Recordings search (p50/p95 per
# filter) on SQLite and, when BENCH_POSTGRES_URL names an empty database,
# on PostgreSQL. CALLS overrides the count.
set -euo pipefail
cd "$(dirname "$0")/.."
calls="${CALLS:-1000000}"
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
go build -o "$dir/bench" ./bench/recordings
echo "== SQLite"
"$dir/bench" -db "sqlite://$dir/bench.db" -calls "$calls"
if [[ -n "${BENCH_POSTGRES_URL:-}" ]]; then
  echo "== PostgreSQL"
  "$dir/bench" -db "$BENCH_POSTGRES_URL" -calls "$calls"
fi
