#!/usr/bin/env bash
# Sign-in under load on this machine (127.0.0.1 only): peak server memory,
# answers and /healthz while many attempts are in flight.
# Usage: bench/signin.sh [--concurrency 300] [--duration 30s] [--limits]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(mktemp -d)/callrec
go build -o "$bin" ./cmd/callrec
ulimit -n 65536 2>/dev/null || true
go run ./bench/signin --bin "$bin" "$@"
