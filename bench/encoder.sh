#!/usr/bin/env bash
# Measure the archive encoder candidates on this machine (single thread):
# the pure-Go build (gopus, LAME, the G.711 original), then the libopus
# build (-tags libopus; needs libopus-dev and libopusfile-dev). Needs espeak-ng, sox, lame,
# pocketsphinx and pocketsphinx-en-us (Debian). Transcripts are cached in
# ~/.cache/callrec-bench-encoder, so a second run costs only the encoding.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "# $(date -u +%FT%TZ) $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
GOMAXPROCS=1 go run ./bench/encoder -only g711,gopus,lame
GOMAXPROCS=1 go run -tags libopus ./bench/encoder -only libopus -header=false
