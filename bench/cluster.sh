#!/usr/bin/env bash
# Brings a callrec cluster up on 127.0.0.1 (deploy/cluster.sh: Kamailio, 3
# recorders, 2 web nodes, a worker, a fresh PostgreSQL database, S3), runs
# the fault driver bench/cluster against it with the flags given, and takes
# the cluster down again. CI runs `bench/cluster.sh -short`.
#   bench/cluster.sh -short                      # a recorder SIGKILLed mid-call, ~1 min
#   bench/cluster.sh -calls 300 -fault recorder  # see go run ./bench/cluster -h
set -euo pipefail
cd "$(dirname "$0")/.."
work="$(mktemp -d)"
export CLUSTER_DIR="${CLUSTER_DIR:-$work/cluster}"
go build -o "$work/callrec" ./cmd/callrec
go build -o "$work/driver" ./bench/cluster
export CALLREC_BIN="$work/callrec"
ulimit -n 65536 2>/dev/null || true
cleanup() {
  deploy/cluster.sh down || true
  rm -rf "$work"
}
trap cleanup EXIT
state="$(deploy/cluster.sh up)"
if ! "$work/driver" -state "$state" "$@"; then
  for f in "$CLUSTER_DIR"/logs/*.log; do
    echo "--- $(basename "$f") (last lines)"; tail -n 15 "$f"
  done
  exit 1
fi
