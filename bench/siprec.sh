#!/usr/bin/env bash
# Benchmark the SIPREC recorder on this machine (127.0.0.1 only).
# Usage: bench/siprec.sh [--calls 250,500,1000] [--duration 30s] [--cps 100]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(mktemp -d)/callrec
go build -o "$bin" ./cmd/callrec
ulimit -n 65536 2>/dev/null || true
go run ./bench/siprec --bin "$bin" "$@"
