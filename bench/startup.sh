#!/usr/bin/env bash
# Start-up time and idle memory of the release server with an existing database.
#
#   bench/startup.sh sqlite|postgres     (RUNS=5 by default)
#
# The database is created and filled once (migrations, the seed, the demo accounts); then the
# server is started RUNS times on it. Start-up is the time from exec to the first 200 of
# /health/ready (polled every 5 ms); idle memory is VmRSS five seconds later, with the job and
# push workers polling.
set -euo pipefail
cd "$(dirname "$0")/.."
BACKEND="${1:-sqlite}"
RUNS="${RUNS:-5}"
PORT="${PORT:-18401}"
cargo build --release -q -p dorfapp
BIN="$(pwd)/target/release/dorfapp"
DATA="$(mktemp -d)"
DB=""
case "${BACKEND}" in
  sqlite) URL="sqlite://${DATA}/dorfapp.db" ;;
  postgres)
    DB="dorfapp_startup_$$"
    psql -q -h 127.0.0.1 -U postgres -c "CREATE DATABASE ${DB}"
    URL="postgres://postgres@127.0.0.1:5432/${DB}"
    ;;
  *) echo "usage: $0 sqlite|postgres" >&2; exit 2 ;;
esac
cleanup() {
  rm -rf "${DATA}"
  if [ -n "${DB}" ]; then psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS ${DB}"; fi
}
trap cleanup EXIT
export DORFAPP_DATA_DIR="${DATA}" DORFAPP_DATABASE_URL="${URL}" DORFAPP_BIND="127.0.0.1:${PORT}" DORFAPP_LOG=warn
"${BIN}" seed-demo >/dev/null

echo "backend=${BACKEND} cpus=$(nproc) runs=${RUNS}"
for run in $(seq 1 "${RUNS}"); do
  start=$(date +%s%N)
  "${BIN}" serve >/dev/null 2>&1 &
  pid=$!
  until curl -fs "http://127.0.0.1:${PORT}/health/ready" >/dev/null 2>&1; do sleep 0.005; done
  ready=$(date +%s%N)
  sleep 5
  rss_kb=$(awk '/^VmRSS/ {print $2}' "/proc/${pid}/status")
  kill -TERM "${pid}"
  wait "${pid}" || true
  printf 'run=%d startup_ms=%d idle_rss_mb=%.1f\n' "${run}" $(((ready - start) / 1000000)) "$(echo "${rss_kb} / 1024" | bc -l)"
done
