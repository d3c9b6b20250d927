#!/usr/bin/env bash
# Two instances, one PostgreSQL: concurrent ride accepts, scheduled news and pushes spread over
# both instances, then `kill -9` of one instance in the middle of the push fan-out.
#
# Creates a fresh PostgreSQL database, builds the release binary and the driver
# `tests/examples/two_instances.rs`, starts instance A and (once A is ready) instance B on the
# same database and the same data directory (so both share the token signing key and the VAPID
# key pair), then runs the driver with A's pid. The driver starts a receiving push service,
# writes N residents with one device each, registers a leader, drivers and riders over HTTP,
# races every driver on every ride (half through A, half through B), posts warnings and
# scheduled items (through both), kills A with SIGKILL once KILL_AT of the expected pushes have
# arrived and waits until B has finished everything. It prints PASS or FAIL; this script exits
# non-zero on FAIL. B is stopped and the database dropped at the end.
#
#   bench/two-instances.sh                      # 2,000 residents, 20 rides, 8 drivers
#   N=5000 RUNS=3 bench/two-instances.sh
#   KEEP_LOG=/tmp/two bench/two-instances.sh    # keeps both server logs as /tmp/two.{a,b}.RUN
#   PROFILE=dev bench/two-instances.sh          # the debug build (CI: it is built already, and
#                                               # the dependencies are optimised in it too)
#
# Needs: curl, psql.
set -euo pipefail
cd "$(dirname "$0")/.."
N="${N:-2000}"
RIDES="${RIDES:-20}"
DRIVERS="${DRIVERS:-8}"
WARNINGS="${WARNINGS:-4}"
SCHEDULED="${SCHEDULED:-3}"
KILL_AT="${KILL_AT:-0.2}"
RUNS="${RUNS:-1}"
TIMEOUT="${TIMEOUT:-180}"
LOG="${LOG:-info}"
PGURL="${PGURL:-postgres://postgres@127.0.0.1:5432}"
PORT_A="${PORT_A:-18301}"
PORT_B="${PORT_B:-18302}"
BASE_A="http://127.0.0.1:${PORT_A}"
BASE_B="http://127.0.0.1:${PORT_B}"
ADMIN_EMAIL="admin@bench.invalid"
ADMIN_PASSWORD="Zwei-Instanzen-Bench-1"

command -v curl >/dev/null || { echo "curl is missing" >&2; exit 1; }
command -v psql >/dev/null || { echo "psql is missing" >&2; exit 1; }
PROFILE="${PROFILE:-release}"
case "${PROFILE}" in
  release) TARGET_DIR=./target/release ;;
  dev) TARGET_DIR=./target/debug ;;
  *) echo "PROFILE is release or dev" >&2; exit 1 ;;
esac
# One build of both (the default members' feature set): two `-p` builds resolve features apart
# and compile much of the tree twice.
cargo build --profile "${PROFILE}" -q --bin dorfapp --example two_instances
DRIVER="${TARGET_DIR}/examples/two_instances"

PID_A=""
PID_B=""
DATA=""
DBNAME=""
stop() {  # stop PID: SIGTERM, then wait (only processes this script started)
  if [ -n "$1" ]; then kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; fi
}
cleanup() {
  stop "${PID_A}"
  stop "${PID_B}"
  [ -n "${DATA}" ] && rm -rf "${DATA}"
  [ -n "${DBNAME}" ] && psql "${PGURL}/postgres" -qc "DROP DATABASE IF EXISTS ${DBNAME}" >/dev/null 2>&1
  PID_A=""; PID_B=""; DATA=""; DBNAME=""
}
trap cleanup EXIT

# Quotas (docs/security.md) are lifted: this run measures delivery, not limits.
start() {  # start NAME PORT: one instance on the shared database and data directory
  DORFAPP_BIND="127.0.0.1:$2" DORFAPP_DATA_DIR="${DATA}" DORFAPP_DATABASE_URL="${DBURL}" \
    DORFAPP_LOG="${LOG}" DORFAPP_PUSH_ALLOW_HTTP=true DORFAPP_JOB_POLL_INTERVAL_MS=200 \
    DORFAPP_QUOTA_REGISTRATIONS_PER_ADDRESS_PER_HOUR=1000000 \
    DORFAPP_QUOTA_NEWS_PER_AUTHOR_PER_HOUR=1000000 DORFAPP_QUOTA_OPEN_RIDES_PER_RIDER=1000000 \
    DORFAPP_ADMIN_EMAIL="${ADMIN_EMAIL}" DORFAPP_ADMIN_PASSWORD="${ADMIN_PASSWORD}" \
    "${TARGET_DIR}/dorfapp" serve >"${DATA}/$1.log" 2>&1 &
}
ready() {  # ready BASE LOG
  for _ in $(seq 1 300); do curl -sf "$1/health/ready" >/dev/null && return 0; sleep 0.1; done
  cat "$2" >&2; return 1
}

echo "two instances on one PostgreSQL; ${N} residents, ${RIDES} rides, ${DRIVERS} drivers," \
  "${WARNINGS} warnings + ${SCHEDULED} scheduled items, kill A at ${KILL_AT} of the pushes;" \
  "${RUNS} run(s); machine: $(nproc) cores, $(uname -m)"
STATUS=0
for RUN in $(seq 1 "${RUNS}"); do
  DATA="$(mktemp -d)"
  DBNAME="dorfapp_two_instances_$$"
  psql "${PGURL}/postgres" -qc "CREATE DATABASE ${DBNAME}" >/dev/null
  DBURL="${PGURL}/${DBNAME}"
  start a "${PORT_A}"; PID_A=$!
  ready "${BASE_A}" "${DATA}/a.log"
  start b "${PORT_B}"; PID_B=$!
  ready "${BASE_B}" "${DATA}/b.log"

  echo
  echo "# run ${RUN} (A pid ${PID_A}, B pid ${PID_B})"
  RESULT=0
  "${DRIVER}" --a "${BASE_A}" --b "${BASE_B}" --database-url "${DBURL}" --pid-a "${PID_A}" \
    --admin-email "${ADMIN_EMAIL}" --admin-password "${ADMIN_PASSWORD}" --n "${N}" \
    --rides "${RIDES}" --drivers "${DRIVERS}" --warnings "${WARNINGS}" \
    --scheduled "${SCHEDULED}" --kill-at "${KILL_AT}" --timeout "${TIMEOUT}" || RESULT=$?
  # A was killed by the driver: reap it (its exit status is 137).
  wait "${PID_A}" 2>/dev/null || true
  PID_A=""
  echo "server warnings/errors (A, then B):"
  grep -hE ' (WARN|ERROR) ' "${DATA}/a.log" | head -5 || true
  grep -hE ' (WARN|ERROR) ' "${DATA}/b.log" | head -10 || true
  if [ -n "${KEEP_LOG:-}" ]; then
    cp "${DATA}/a.log" "${KEEP_LOG}.a.${RUN}"; cp "${DATA}/b.log" "${KEEP_LOG}.b.${RUN}"
  fi
  cleanup
  [ "${RESULT}" -eq 0 ] || STATUS="${RESULT}"
done
exit "${STATUS}"
