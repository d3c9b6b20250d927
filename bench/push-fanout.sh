#!/usr/bin/env bash
# Push fan-out benchmark: one warning to N residents of a district, each with one Web Push
# subscription at a receiving push service on loopback. Starts a release build of the server
# on a fresh database (SQLite in a temporary data directory, or a fresh PostgreSQL database),
# then runs the driver `tests/examples/push_fanout.rs`, which starts the receiver, writes the
# residents and their subscriptions into the database, posts the warning as the admin over
# HTTP and waits until every device has its push. It prints the time from the POST to the last
# arrival, deliveries/s and the server's resident memory. Bounded: the driver gives up after
# TIMEOUT seconds; the server is stopped and the database dropped at the end.
#
#   bench/push-fanout.sh sqlite                  # 10,000 subscriptions, 2 warnings in a row
#   bench/push-fanout.sh postgres                # a fresh database at PGURL (default local, trust)
#   PGURL=postgres://postgres@localhost PGOPTS=host=/var/run/postgresql \
#     bench/push-fanout.sh postgres              # the same over the Unix socket instead of TCP
#   N=50000 ROUNDS=1 RUNS=3 bench/push-fanout.sh sqlite
#   LOG=info,dorfapp=debug bench/push-fanout.sh sqlite   # keeps the server log, shows batches
#
#   PEER=0 bench/push-fanout.sh sqlite         # without the Node web-push peer
#
# The peer (issue 22): before the server's rounds, Node's `web-push` library sends one push to
# each of the same N devices at the same receiver, 64 in flight (bench/webpush-node/send.mjs;
# its pinned dependencies are installed here with `npm ci` on first use).
# Targets: ≥ 1,000 deliveries/s and RSS under 200 MB (issue "push notifications"); ≥ 5× the
# Node peer, first push within 100 ms of the POST (issue 22).
# Needs: curl, Node.js and npm for the peer, and for PostgreSQL psql.
set -euo pipefail
cd "$(dirname "$0")/.."
BACKEND="${1:-sqlite}"
N="${N:-10000}"
ROUNDS="${ROUNDS:-2}"
RUNS="${RUNS:-1}"
TIMEOUT="${TIMEOUT:-300}"
LOG="${LOG:-warn}"
PGURL="${PGURL:-postgres://postgres@127.0.0.1:5432}"
PGOPTS="${PGOPTS:-}"  # appended as ?query to the database URL, e.g. host=/var/run/postgresql
PORT="${PORT:-18183}"
BASE="http://127.0.0.1:${PORT}"
ADMIN_EMAIL="admin@bench.invalid"
ADMIN_PASSWORD="Fanout-Bench-Passwort-1"

case "${BACKEND}" in sqlite|postgres) ;; *) echo "usage: $0 sqlite|postgres" >&2; exit 2 ;; esac
command -v curl >/dev/null || { echo "curl is missing" >&2; exit 1; }
# One build of both (the default members' feature set): two `-p` builds resolve features apart
# and compile much of the tree twice.
cargo build --release -q --bin dorfapp --example push_fanout
DRIVER=./target/release/examples/push_fanout
PEER_ARGS=()
if [ "${PEER:-1}" != 0 ]; then
  command -v node >/dev/null || { echo "node is missing (PEER=0 runs without the peer)" >&2; exit 1; }
  [ -d bench/webpush-node/node_modules/web-push ] || (cd bench/webpush-node && npm ci --no-audit --no-fund --silent)
  PEER_ARGS=(--node-peer bench/webpush-node/send.mjs)
fi

SERVER=""
DATA=""
DBNAME=""
cleanup() {
  if [ -n "${SERVER}" ]; then kill "${SERVER}" 2>/dev/null || true; wait "${SERVER}" 2>/dev/null || true; fi
  [ -n "${DATA}" ] && rm -rf "${DATA}"
  [ -n "${DBNAME}" ] && psql "${PGURL}/postgres${PGOPTS:+?${PGOPTS}}" -qc "DROP DATABASE IF EXISTS ${DBNAME}" >/dev/null 2>&1
  SERVER=""; DATA=""; DBNAME=""
}
trap cleanup EXIT

echo "backend: ${BACKEND}; ${N} subscriptions, ${ROUNDS} warning(s) per server, ${RUNS} run(s);" \
  "machine: $(nproc) cores, $(uname -m); logs at ${LOG}"
for RUN in $(seq 1 "${RUNS}"); do
  DATA="$(mktemp -d)"
  if [ "${BACKEND}" = postgres ]; then
    DBNAME="dorfapp_push_bench_$$"
    psql "${PGURL}/postgres${PGOPTS:+?${PGOPTS}}" -qc "CREATE DATABASE ${DBNAME}" >/dev/null
    export DORFAPP_DATABASE_URL="${PGURL}/${DBNAME}${PGOPTS:+?${PGOPTS}}"
    DRIVER_DB="${DORFAPP_DATABASE_URL}"
  else
    unset DORFAPP_DATABASE_URL
    DRIVER_DB="sqlite://${DATA}/dorfapp.db"
  fi
  DORFAPP_BIND="127.0.0.1:${PORT}" DORFAPP_DATA_DIR="${DATA}" DORFAPP_LOG="${LOG}" \
    DORFAPP_PUSH_ALLOW_HTTP=true \
    DORFAPP_QUOTA_REGISTRATIONS_PER_ADDRESS_PER_HOUR=1000000 \
    DORFAPP_QUOTA_NEWS_PER_AUTHOR_PER_HOUR=1000000 DORFAPP_QUOTA_OPEN_RIDES_PER_RIDER=1000000 \
    DORFAPP_ADMIN_EMAIL="${ADMIN_EMAIL}" DORFAPP_ADMIN_PASSWORD="${ADMIN_PASSWORD}" \
    ./target/release/dorfapp serve >"${DATA}/server.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 1 300); do curl -sf "${BASE}/health/ready" >/dev/null && break; sleep 0.1; done
  curl -sf "${BASE}/health/ready" >/dev/null || { cat "${DATA}/server.log" >&2; exit 1; }

  echo
  echo "# run ${RUN}"
  "${DRIVER}" --server "${BASE}" --database-url "${DRIVER_DB}" --pid "${SERVER}" --n "${N}" \
    --rounds "${ROUNDS}" --timeout "${TIMEOUT}" "${PEER_ARGS[@]}" \
    --admin-email "${ADMIN_EMAIL}" --admin-password "${ADMIN_PASSWORD}" || STATUS=$?
  if grep -q "expanded a batch" "${DATA}/server.log"; then
    # With debug logs: when the expansion batches were written, on the server's clock.
    grep "expanded a batch" "${DATA}/server.log" | sed -n '1p;$p' | cut -c1-160
    echo "expansion batches: $(grep -c 'expanded a batch' "${DATA}/server.log")"
  fi
  grep -iE ' (WARN|ERROR) ' "${DATA}/server.log" | head -5 || true
  if [ -n "${KEEP_LOG:-}" ]; then cp "${DATA}/server.log" "${KEEP_LOG}.${BACKEND}.${RUN}"; fi
  cleanup
  [ -z "${STATUS:-}" ] || exit "${STATUS}"
done
