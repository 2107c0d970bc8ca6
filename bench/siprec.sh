#!/usr/bin/env bash
# Benchmark the SIPREC recorder on this machine (127.0.0.1 only).
# Usage: bench/siprec.sh [--calls 250,500,1000] [--duration 30s] [--cps 100]
# Sustained (a business hour): bench/siprec.sh --sustain 30m --calls 600 --cps 20
#   (calls of --min-duration 1m to --max-duration 5m, each replaced as it ends;
#   --audio FILE sends a stereo WAV instead of two tones, e.g. the dialogue
#   `go run ./bench/encoder -call-wav FILE` writes; GOFLAGS=-tags=libopus for
#   the libopus encoder)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(mktemp -d)/callrec
go build -o "$bin" ./cmd/callrec
ulimit -n 65536 2>/dev/null || true
go run ./bench/siprec --bin "$bin" "$@"
