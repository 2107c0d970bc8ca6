#!/usr/bin/env bash
# Measure the archive encoder candidates on this machine (single thread).
set -euo pipefail
cd "$(dirname "$0")/.."
GOMAXPROCS=1 go run ./bench/encoder
