#!/usr/bin/env bash
# Chaos run of a callrec cluster on 127.0.0.1: a few hundred concurrent SIPREC
# calls through Kamailio while, one after the other,
#   1. a recorder is SIGKILLed (restarted after --down-for),
#   2. PostgreSQL is restarted (a server this script starts for itself, so
#      the shared one on 5432 is never touched),
#   3. the S3 server is stopped for --s3-outage (default 5m),
#   4. a worker node is SIGKILLed while it encodes recordings the recorders
#      offered (restarted after --down-for); its jobs' leases run out and
#      the other worker (or it, restarted) takes them. With this fault the
#      cluster runs 2 workers and the recorders offer every ended call
#      (CALLREC_ENCODE_OFFLOAD=always), for the other faults too.
# Each fault prints: calls affected, audio lost per call, recordings lost
# (must be 0), recovery time. Bounded: every process is ours, stopped at the
# end, and listens on 127.0.0.1 only.
#
#   bench/chaos.sh [--calls 300] [--duration 60s] [--cps 30] [--down-for 10s] [--s3-outage 5m] [--only recorder,postgres,s3,worker]
set -euo pipefail
cd "$(dirname "$0")/.."
calls=300 duration=60s cps=30 downfor=10s s3outage=5m only=recorder,postgres,s3,worker
while [ $# -gt 0 ]; do
  case "$1" in
    --calls) calls="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --cps) cps="$2"; shift 2 ;;
    --down-for) downfor="$2"; shift 2 ;;
    --s3-outage) s3outage="$2"; shift 2 ;;
    --only) only="$2"; shift 2 ;;
    *) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
  esac
done
want() { [[ ",$only," == *",$1,"* ]]; }

work="$(mktemp -d)"
chmod 755 "$work"
export CLUSTER_DIR="$work/cluster"
pgbin=/usr/lib/postgresql/15/bin
pgdata="$work/pg"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
pgport="$(free_port)"
pg() { runuser -u postgres -- "$pgbin/pg_ctl" -D "$pgdata" -l "$work/pg.log" "$@"; }

cleanup() {
  deploy/cluster.sh down >/dev/null 2>&1 || true
  pg stop -m fast >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "chaos: building"
go build -o "$work/callrec" ./cmd/callrec
go build -o "$work/driver" ./bench/cluster
export CALLREC_BIN="$work/callrec"
ulimit -n 65536 2>/dev/null || true

echo "chaos: PostgreSQL of its own on 127.0.0.1:$pgport"
install -d -o postgres -m 700 "$pgdata"
touch "$work/pg.log" && chown postgres "$work/pg.log"
runuser -u postgres -- "$pgbin/initdb" -D "$pgdata" -U postgres --auth=trust >/dev/null
pgopts="-p $pgport -c listen_addresses=127.0.0.1 -c unix_socket_directories=$pgdata -c max_connections=300"
pg -o "$pgopts" -w start >/dev/null
export CLUSTER_PG="-h 127.0.0.1 -p $pgport -U postgres"
# The S3 fault stops the server: a SeaweedFS of its own (cluster.sh starts
# it). Without that fault a given one (CLUSTER_S3_URL) will do.
if want s3; then unset CALLREC_TEST_S3_URL CLUSTER_S3_URL; fi

if want worker; then export CLUSTER_WORKERS=2 CLUSTER_ENCODE_OFFLOAD=always; fi
state="$(deploy/cluster.sh up)"
drive() { "$work/driver" -state "$state" -calls "$calls" -duration "$duration" -cps "$cps" "$@" || status=1; }
status=0
if want recorder; then
  echo; echo "chaos: 1. SIGKILL a recorder mid-call, restart it after $downfor"
  drive -fault recorder -down-for "$downfor"
fi
if want postgres; then
  echo; echo "chaos: 2. restart PostgreSQL mid-call (down $downfor)"
  drive -fault postgres -down-for "$downfor" \
    -fault-cmd "runuser -u postgres -- $pgbin/pg_ctl -D $pgdata -m fast -w stop" \
    -recover-cmd "runuser -u postgres -- $pgbin/pg_ctl -D $pgdata -l $work/pg.log -o '$pgopts' -w start >/dev/null"
fi
if want s3; then
  echo; echo "chaos: 3. stop the S3 server for $s3outage mid-call"
  drive -fault s3 -down-for "$s3outage" -store-timeout 10m
fi
if want worker; then
  echo; echo "chaos: 4. SIGKILL a worker mid-encode, restart it after $downfor"
  # Calls of 10 s, so that they have ended and are being encoded when it hits.
  drive -fault worker -duration 10s -fault-at 12s -down-for "$downfor" -store-timeout 6m
fi
exit $status
