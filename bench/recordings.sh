#!/usr/bin/env bash
# Seed 1,000,000 calls and measure the Recordings search (p50/p95 per
# filter) on SQLite and, when BENCH_POSTGRES_URL names an empty database,
# on PostgreSQL. CALLS overrides the count.
#
# BENCH_SQLITE=FILE keeps the SQLite database there; a later run with the
# same FILE (and BENCH_REUSE=1 for PostgreSQL) measures it without seeding
# again, to compare query changes on the same data.
set -euo pipefail
cd "$(dirname "$0")/.."
calls="${CALLS:-1000000}"
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
go build -o "$dir/bench" ./bench/recordings
db="${BENCH_SQLITE:-$dir/bench.db}"
reuse=()
[[ -s "$db" ]] && reuse=(-reuse)
echo "== SQLite"
"$dir/bench" -db "sqlite://$db" -calls "$calls" "${reuse[@]}"
if [[ -n "${BENCH_POSTGRES_URL:-}" ]]; then
  echo "== PostgreSQL"
  reuse=()
  [[ "${BENCH_REUSE:-}" == 1 ]] && reuse=(-reuse)
  "$dir/bench" -db "$BENCH_POSTGRES_URL" -calls "$calls" "${reuse[@]}"
fi
