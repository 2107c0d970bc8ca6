#!/usr/bin/env bash
# A callrec cluster on one machine, 127.0.0.1 only: Kamailio's dispatcher in
# front of 3 recorders, 2 web nodes and 1 worker, on a fresh PostgreSQL
# database and an S3 server. See deploy/README.md.
#
#   deploy/cluster.sh up            start it; prints the state file to source
#   deploy/cluster.sh down          stop it, drop the database, remove the state
#   deploy/cluster.sh kill NODE     SIGKILL one node (rec1, web1, worker1, s3, kamailio …)
#   deploy/cluster.sh stop NODE     SIGTERM one node and wait for it
#   deploy/cluster.sh start NODE    start a node again with its own settings
#   deploy/cluster.sh status        which nodes run
#
# Environment (all optional):
#   CLUSTER_DIR       state, logs, data dirs       (default /tmp/callrec-cluster)
#   CLUSTER_PG        psql/createdb connection options (default "-h 127.0.0.1 -p 5432 -U postgres")
#   CLUSTER_S3_URL    an S3 blob URL to use (s3://bucket?endpoint=…); else
#                     CALLREC_TEST_S3_URL (.ci/run's) with a prefix of its own; else
#                     a SeaweedFS of its own (weed from `go env GOPATH`/bin)
#   CALLREC_BIN       the callrec binary (default: built into CLUSTER_DIR)
#   CLUSTER_RECORDERS number of recorders (default 3)
#   CLUSTER_WORKERS   number of worker nodes (default 1)
#   CLUSTER_ENCODE_OFFLOAD  the recorders' CALLREC_ENCODE_OFFLOAD (default theirs, 2m)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="${CLUSTER_DIR:-/tmp/callrec-cluster}"
state="$dir/cluster.env"
pg_opts="${CLUSTER_PG:--h 127.0.0.1 -p 5432 -U postgres}"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
log() { printf 'cluster: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

pid_of() { cat "$dir/pids/$1" 2>/dev/null || true; }
running() { local p; p="$(pid_of "$1")"; [ -n "$p" ] && kill -0 "$p" 2>/dev/null; }

# start_node NAME: runs the node's command line (nodes/NAME.cmd) with its
# environment (nodes/NAME.env) in the background, appending to logs/NAME.log.
start_node() {
  local name="$1"
  running "$name" && { log "$name already runs"; return 0; }
  [ -f "$dir/nodes/$name.cmd" ] || die "no node $name"
  (
    set -a
    # shellcheck disable=SC1090
    . "$dir/nodes/$name.env"
    set +a
    exec bash -c "exec $(cat "$dir/nodes/$name.cmd")" >>"$dir/logs/$name.log" 2>&1 </dev/null
  ) &
  echo $! >"$dir/pids/$name"
}

wait_tcp() { # host port seconds
  for _ in $(seq 1 $(( $3 * 10 ))); do
    (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

wait_http() { # url seconds
  for _ in $(seq 1 $(( $2 * 10 ))); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

# wait_node NAME: until the node answers where it should.
wait_node() {
  local name="$1" kind port
  kind="$(cat "$dir/nodes/$name.kind")"
  port="$(cat "$dir/nodes/$name.port")"
  case "$kind" in
    web) wait_http "http://127.0.0.1:$port/readyz" 60 ;;
    recorder) wait_tcp 127.0.0.1 "$port" 60 ;;
    worker) sleep 0.5; running "$name" ;;
    kamailio) wait_tcp 127.0.0.1 "$port" 30 ;;
    s3) for _ in $(seq 1 900); do
          code="$(curl -s -o /dev/null -w '%{http_code}' -I "http://127.0.0.1:$port/callrec" || true)"
          [ "$code" = 403 ] || [ "$code" = 200 ] && return 0
          sleep 0.1
        done; return 1 ;;
  esac || { tail -n 30 "$dir/logs/$name.log" >&2; die "$name did not come up"; }
}

stop_node() { # name signal
  local p; p="$(pid_of "$1")"
  [ -n "$p" ] || return 0
  kill "-$2" "$p" 2>/dev/null || true
  for _ in $(seq 1 300); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$p" 2>/dev/null || true
  wait "$p" 2>/dev/null || true
  rm -f "$dir/pids/$1"
}

# node NAME KIND PORT CMD ENV…: records how to start a node.
node() {
  local name="$1" kind="$2" port="$3" cmd="$4"; shift 4
  echo "$kind" >"$dir/nodes/$name.kind"
  echo "$port" >"$dir/nodes/$name.port"
  echo "$cmd" >"$dir/nodes/$name.cmd"
  local kv
  for kv in "$@"; do printf '%s=%s\n' "${kv%%=*}" "$(quote "${kv#*=}")"; done >"$dir/nodes/$name.env"
}

# quote makes a value safe to source: URLs carry & and ?.
quote() { local q="'\\''"; printf "'%s'" "${1//\'/$q}"; }

# s3_setup sets bloburl: the given S3 server's, or one started here.
s3_setup() {
  if [ -n "${CLUSTER_S3_URL:-}" ]; then
    bloburl="$CLUSTER_S3_URL"; return
  fi
  if [ -n "${CALLREC_TEST_S3_URL:-}" ]; then
    bloburl="${CALLREC_TEST_S3_URL%%&prefix=*}&prefix=cluster-$$"; return
  fi
  local weed; weed="$(go env GOPATH)/bin/weed"
  [ -x "$weed" ] || die "no S3 server: set CLUSTER_S3_URL, or build weed as .ci/run does"
  mkdir -p "$dir/s3/data"
  cat >"$dir/s3/s3.json" <<'JSON'
{"identities":[{"name":"cluster","credentials":[{"accessKey":"cluster","secretKey":"cluster-secret"}],"actions":["Admin","Read","Write","List","Tagging"]}]}
JSON
  local port; port="$(free_port)"
  node s3 s3 "$port" "$weed mini -dir=$dir/s3/data -ip=127.0.0.1 -ip.bind=127.0.0.1 -s3.config=$dir/s3/s3.json -bucket=callrec \
-master.telemetry=false -s3.port=$port -master.port=$(free_port) -filer.port=$(free_port) -volume.port=$(free_port) \
-admin.port=$(free_port) -admin.port.legacy=0 -s3.port.iceberg=0 -s3.port.lance=0 -webdav.port=$(free_port) -debug.port=0"
  start_node s3 && wait_node s3
  export AWS_ACCESS_KEY_ID=cluster AWS_SECRET_ACCESS_KEY=cluster-secret
  bloburl="s3://callrec?endpoint=http://127.0.0.1:$port&prefix=cluster"
}

api() { # method path [json]
  curl -fsS -X "$1" -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    ${TENANT:+-H "X-Tenant-ID: $TENANT"} ${3:+--data "$3"} "$WEB1$2"
}

up() {
  [ -f "$state" ] && die "a cluster runs in $dir already (deploy/cluster.sh down)"
  mkdir -p "$dir"/{pids,nodes,logs}
  local bin="${CALLREC_BIN:-}"
  if [ -z "$bin" ]; then
    bin="$dir/callrec"
    log "building callrec"
    (cd "$root" && go build -o "$bin" ./cmd/callrec)
  fi
  local db="callrec_cluster_$$"
  # shellcheck disable=SC2086
  createdb $pg_opts "$db"
  echo "$db" >"$dir/database"
  local host port user
  host="$(sed -n 's/.*-h \([^ ]*\).*/\1/p' <<<"$pg_opts")"; port="$(sed -n 's/.*-p \([^ ]*\).*/\1/p' <<<"$pg_opts")"
  user="$(sed -n 's/.*-U \([^ ]*\).*/\1/p' <<<"$pg_opts")"
  local dburl="postgres://${user:-postgres}@${host:-127.0.0.1}:${port:-5432}/$db?sslmode=disable"
  local bloburl=""; s3_setup
  local key; key="$(head -c 32 /dev/urandom | base64)"
  local common=("CALLREC_DATABASE_URL=$dburl" "CALLREC_BLOB_URL=$bloburl" "CALLREC_ENCRYPTION_KEY=$key"
    "AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID:-}" "AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY:-}" "CALLREC_LOG_LEVEL=info")

  (set -a; for kv in "${common[@]}"; do export "${kv?}"; done; CALLREC_DATA_DIR="$dir/admin" "$bin" migrate >"$dir/logs/migrate.log" 2>&1) ||
    { cat "$dir/logs/migrate.log" >&2; die "migrate failed"; }

  local n="${CLUSTER_RECORDERS:-3}" ds="" i
  for i in $(seq 1 "$n"); do
    local http sip rtp=$(( 40000 + i * 1000 ))
    http="$(free_port)"; sip="$(free_port)"
    node "rec$i" recorder "$sip" "'$bin' serve --roles recorder" "${common[@]}" "CALLREC_DATA_DIR=$dir/rec$i" "CALLREC_NODE=rec$i" \
      "CALLREC_HTTP_ADDR=127.0.0.1:$http" "CALLREC_INTERNAL_URL=http://127.0.0.1:$http" "CALLREC_SIP_ADDR=127.0.0.1:$sip" \
      "CALLREC_RTP_PORTS=$rtp-$(( rtp + 999 ))" "CALLREC_MEDIA_IP=127.0.0.1" "CALLREC_SIP_TRUSTED_PROXIES=127.0.0.1" \
      ${CLUSTER_ENCODE_OFFLOAD:+"CALLREC_ENCODE_OFFLOAD=$CLUSTER_ENCODE_OFFLOAD"}
    ds+="1 sip:127.0.0.1:$sip;transport=tcp 0 0 node=rec$i"$'\n'
  done
  local webs=() w
  for w in 1 2; do
    local http; http="$(free_port)"
    node "web$w" web "$http" "'$bin' serve --roles web" "${common[@]}" "CALLREC_DATA_DIR=$dir/web$w" "CALLREC_NODE=web$w" \
      "CALLREC_HTTP_ADDR=127.0.0.1:$http" "CALLREC_PUBLIC_URL=http://127.0.0.1:$http"
    webs+=("http://127.0.0.1:$http")
  done
  for w in $(seq 1 "${CLUSTER_WORKERS:-1}"); do
    node "worker$w" worker 0 "'$bin' serve --roles worker" "${common[@]}" "CALLREC_DATA_DIR=$dir/worker$w" "CALLREC_NODE=worker$w" \
      "CALLREC_HTTP_ADDR=127.0.0.1:$(free_port)"
  done
  printf '%s' "$ds" >"$dir/dispatcher.list"
  local kport; kport="$(free_port)"
  mkdir -p "$dir/kamailio"
  node kamailio kamailio "$kport" "/usr/sbin/kamailio -DD -E -f '$root/deploy/kamailio/kamailio.cfg' -Y '$dir/kamailio' -m 64 -M 8 \
-A 'SIP_PORT=$kport' -A 'DS_LIST=\"$dir/dispatcher.list\"' -A 'DS_PING_INTERVAL=${CLUSTER_PING_INTERVAL:-2}'"

  local name
  for name in $(ls "$dir/nodes" | sed -n 's/\.cmd$//p' | grep -v '^s3$'); do start_node "$name"; done
  for name in $(ls "$dir/nodes" | sed -n 's/\.cmd$//p' | grep -v '^s3$'); do wait_node "$name"; done

  # A provider admin's token, a tenant with an always-recorded agent
  # (extension 2001, whom siprec-load's calls name) and its SBC: 127.0.0.2,
  # which reaches the recorders only through Kamailio (127.0.0.1).
  local pw="Cluster#2026"
  (set -a; for kv in "${common[@]}"; do export "${kv?}"; done; export CALLREC_DATA_DIR="$dir/admin"
   "$bin" admin create-user --role provider_admin --login ops --name Ops --password "$pw" >/dev/null
   "$bin" admin create-token --login ops --name cluster >"$dir/token")
  TOKEN="$(cat "$dir/token")" WEB1="${webs[0]}" TENANT=""
  TENANT="$(api POST /api/v1/tenants '{"name":"Cluster","licenses":{"call_recording":100000}}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')"
  api POST /api/v1/users '{"login":"agent","name":"Agent","role":"user","password":"'"$pw"'","extensions":["2001"],"licenses":["call_recording"],"record":"always"}' >/dev/null
  api POST /api/v1/sip-sources '{"name":"SBC","address":"127.0.0.2"}' >/dev/null

  {
    echo "CLUSTER_DIR=$(quote "$dir")"
    echo "CLUSTER_SIP=$(quote "127.0.0.1:$kport")"
    echo "CLUSTER_SBC_IP=$(quote "127.0.0.2")"
    echo "CLUSTER_WEB_URLS=$(IFS=,; quote "${webs[*]}")"
    echo "CLUSTER_TOKEN=$(quote "$TOKEN")"
    echo "CLUSTER_TENANT=$(quote "$TENANT")"
    echo "CLUSTER_DATABASE_URL=$(quote "$dburl")"
    echo "CLUSTER_BLOB_URL=$(quote "$bloburl")"
    echo "CLUSTER_RECORDERS=$(quote "$(seq -s, -f 'rec%g' 1 "$n")")"
    echo "CLUSTER_RTP_BASE=$(quote "40000")"
    echo "CLUSTER_PING_INTERVAL=$(quote "${CLUSTER_PING_INTERVAL:-2}")"
    echo "AWS_ACCESS_KEY_ID=$(quote "${AWS_ACCESS_KEY_ID:-}")"
    echo "AWS_SECRET_ACCESS_KEY=$(quote "${AWS_SECRET_ACCESS_KEY:-}")"
  } >"$state"
  log "up: SIP at 127.0.0.1:$kport (Kamailio), portal at ${webs[0]} (ops / $pw), state in $state"
  echo "$state"
}

down() {
  [ -d "$dir/pids" ] || { log "nothing runs in $dir"; return 0; }
  local name
  for name in $(ls "$dir/pids" 2>/dev/null | grep -v '^s3$'); do stop_node "$name" TERM; done
  stop_node s3 TERM
  if [ -f "$dir/database" ]; then
    # shellcheck disable=SC2086
    dropdb $pg_opts --if-exists --force "$(cat "$dir/database")" || log "could not drop $(cat "$dir/database")"
  fi
  rm -rf "$dir"
}

status() {
  local name
  for name in $(ls "$dir/nodes" 2>/dev/null | sed -n 's/\.cmd$//p'); do
    if running "$name"; then echo "$name running (pid $(pid_of "$name"))"; else echo "$name stopped"; fi
  done
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  kill) [ -n "${2:-}" ] || die "kill NODE"; p="$(pid_of "$2")"; [ -n "$p" ] || die "$2 does not run"
        kill -KILL "$p"; wait "$p" 2>/dev/null || true; rm -f "$dir/pids/$2" ;;
  stop) [ -n "${2:-}" ] || die "stop NODE"; stop_node "$2" TERM ;;
  start) [ -n "${2:-}" ] || die "start NODE"; start_node "$2"; wait_node "$2" ;;
  status) status ;;
  *) sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
