#!/usr/bin/env bash
# `make test-server`: rashrisk against a real MLflow tracking server backed by PostgreSQL.
#
# Starts a throw-away PostgreSQL cluster (initdb in a temporary folder, loopback only, password
# authentication with a random password) and `mlflow server` on loopback with that database as its
# backend store and a local folder as its artifact store (proxied by the server), points
# MLFLOW_TRACKING_URI at the server and runs the pytest module tests/server (marker `server`).
# Both servers are stopped and the temporary folder removed at the end, also on failure or Ctrl-C.
#
# Environment: BIN (the venv's bin folder, default .venv/bin), PG_BIN (PostgreSQL's bin folder,
# default the newest /usr/lib/postgresql/*/bin), RASHRISK_TEST_PG_PORT and
# RASHRISK_TEST_MLFLOW_PORT (default: free ports), KEEP=1 (leave the folder for a post-mortem;
# the servers are still stopped). Extra arguments go to pytest.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${BIN:-$ROOT/.venv/bin}
PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
[ -x "$PG_BIN/initdb" ] || { echo "test-server: no PostgreSQL server binaries (initdb) under '$PG_BIN'" >&2; exit 2; }
[ -x "$BIN/mlflow" ] || { echo "test-server: no mlflow in $BIN (make venv)" >&2; exit 2; }

free_port() { "$BIN/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
PG_PORT=${RASHRISK_TEST_PG_PORT:-$(free_port)}
MLFLOW_PORT=${RASHRISK_TEST_MLFLOW_PORT:-$(free_port)}
while [ "$MLFLOW_PORT" = "$PG_PORT" ]; do MLFLOW_PORT=$(free_port); done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/rashrisk-test-server.XXXXXX")
PGDATA_DIR=$WORK/pg/data
MLFLOW_PID=""
STARTED_AT=$(date +%s)

# PostgreSQL refuses to run as root: as root, the cluster belongs to the `postgres` user.
if [ "$(id -u)" = 0 ]; then
  id -u postgres >/dev/null 2>&1 || { echo "test-server: running as root needs the 'postgres' user (Debian's postgresql package creates it)" >&2; exit 2; }
  AS_PG=(runuser -u postgres --)
  chmod 711 "$WORK"
  mkdir -p "$WORK/pg"
  chown postgres: "$WORK/pg"
else
  AS_PG=()
  mkdir -p "$WORK/pg"
fi
chmod 700 "$WORK/pg"

pg_ctl_() { "${AS_PG[@]}" "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" "$@"; }

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  set +e
  if [ -n "$MLFLOW_PID" ] && kill -0 "$MLFLOW_PID" 2>/dev/null; then
    kill -TERM -- "-$MLFLOW_PID" 2>/dev/null   # the server's process group: uvicorn and its workers
    for _ in $(seq 50); do kill -0 "$MLFLOW_PID" 2>/dev/null || break; sleep 0.2; done
    kill -KILL -- "-$MLFLOW_PID" 2>/dev/null
    wait "$MLFLOW_PID" 2>/dev/null
  fi
  if [ -f "$PGDATA_DIR/postmaster.pid" ]; then
    pg_ctl_ -m fast -w -t 30 stop >/dev/null || pg_ctl_ -m immediate -w -t 10 stop >/dev/null
  fi
  if [ "$status" != 0 ]; then
    echo "test-server: failed (status $status); mlflow server log (last 40 lines):" >&2
    tail -n 40 "$WORK/mlflow.log" 2>/dev/null >&2
  fi
  if [ "${KEEP:-0}" = 1 ]; then echo "test-server: kept $WORK" >&2; else rm -rf "$WORK"; fi
  echo "test-server: servers stopped, $( [ "${KEEP:-0}" = 1 ] && echo kept || echo removed ) $WORK ($(( $(date +%s) - STARTED_AT )) s in all)"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- PostgreSQL: a new cluster, TCP on 127.0.0.1 only, unix socket inside the cluster's folder ---
PASSWORD=$("$BIN/python" -c 'import secrets; print(secrets.token_hex(16))')
printf '%s\n' "$PASSWORD" > "$WORK/pg/pwfile"
[ "$(id -u)" = 0 ] && chown postgres: "$WORK/pg/pwfile"
chmod 600 "$WORK/pg/pwfile"
"${AS_PG[@]}" "$PG_BIN/initdb" -D "$PGDATA_DIR" -U mlflow --pwfile="$WORK/pg/pwfile" -A scram-sha-256 \
  -E UTF8 --locale=C.UTF-8 --no-sync >"$WORK/initdb.log" 2>&1 \
  || { cat "$WORK/initdb.log" >&2; exit 1; }
rm -f "$WORK/pg/pwfile"
pg_ctl_ -w -t 60 -l "$WORK/pg/postgres.log" \
  -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -c unix_socket_directories=$WORK/pg -c fsync=off -c max_connections=100" \
  start >/dev/null || { cat "$WORK/pg/postgres.log" >&2; exit 1; }

# Clients (mlflow's SQLAlchemy engine, pg_dump in the tests) find the password in a pgpass file,
# so that it never appears on a command line or in the backend store URI.
export PGPASSFILE=$WORK/pgpass PGHOST=127.0.0.1 PGPORT=$PG_PORT PGUSER=mlflow PGDATABASE=mlflow
printf '127.0.0.1:%s:*:mlflow:%s\n' "$PG_PORT" "$PASSWORD" > "$PGPASSFILE"
chmod 600 "$PGPASSFILE"
"$PG_BIN/psql" -q -d postgres -c "CREATE DATABASE mlflow" >/dev/null

# --- mlflow server: PostgreSQL backend store, artifacts proxied to a local folder ---
BACKEND_URI="postgresql+psycopg2://mlflow@127.0.0.1:$PG_PORT/mlflow"
mkdir -p "$WORK/artifacts"
echo "test-server: PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PG_PORT, mlflow $("$BIN/mlflow" --version | awk '{print $3}') on 127.0.0.1:$MLFLOW_PORT, folder $WORK"
setsid "$BIN/mlflow" server --host 127.0.0.1 --port "$MLFLOW_PORT" --workers 2 \
  --backend-store-uri "$BACKEND_URI" --serve-artifacts --artifacts-destination "$WORK/artifacts" \
  >"$WORK/mlflow.log" 2>&1 &
MLFLOW_PID=$!
deadline=$(( $(date +%s) + 120 ))
until "$BIN/python" -c "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:$MLFLOW_PORT/health', timeout=2).status != 200)" 2>/dev/null; do
  kill -0 "$MLFLOW_PID" 2>/dev/null || { echo "test-server: mlflow server exited" >&2; exit 1; }
  [ "$(date +%s)" -lt "$deadline" ] || { echo "test-server: mlflow server not up after 120 s" >&2; exit 1; }
  sleep 0.5
done
echo "test-server: mlflow server up after $(( $(date +%s) - STARTED_AT )) s"

# --- the tests: plain rashrisk, configured only by MLFLOW_TRACKING_URI ---
export MLFLOW_TRACKING_URI="http://127.0.0.1:$MLFLOW_PORT"
export MLFLOW_HTTP_REQUEST_MAX_RETRIES=${MLFLOW_HTTP_REQUEST_MAX_RETRIES:-3}
export MLFLOW_HTTP_REQUEST_TIMEOUT=${MLFLOW_HTTP_REQUEST_TIMEOUT:-60}
export RASHRISK_TEST_SERVER=1 RASHRISK_TEST_SERVER_ARTIFACTS=$WORK/artifacts RASHRISK_TEST_SERVER_PG_BIN=$PG_BIN
cd "$ROOT"
"$BIN/python" -m pytest -q -m server tests/server "$@"
