#!/usr/bin/env bash
# Feed benchmark: how a district's news feed reads at 10k and at 1M items. For each size it
# starts a release build on a fresh database (SQLite in a temporary data directory, or a fresh
# PostgreSQL database with BACKEND=postgres), fills it with bench/fill-news.py (a tenth of the
# items in the district read, 1% municipality-wide), then drives it with wrk on loopback:
# the first page, a page 50 pages deep (by cursor), a category filter, and /health/live in the
# same run for comparison. Bounded: DURATION seconds per run; the server is stopped at the end.
#
#   bench/news-feed.sh                              # SQLite, 10k and 1M items
#   BACKEND=postgres bench/news-feed.sh             # PostgreSQL at PGURL (default local, trust)
#   TOTALS="100000" CONNECTIONS=32 bench/news-feed.sh
#
# Needs: wrk, curl, python3, and for PostgreSQL psql.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${DURATION:-10}"
THREADS="${THREADS:-2}"
CONNECTIONS="${CONNECTIONS:-32}"
TOTALS="${TOTALS:-10000 1000000}"
BACKEND="${BACKEND:-sqlite}"
PGURL="${PGURL:-postgres://postgres@127.0.0.1:5432}"
PORT="${PORT:-18182}"
BASE="http://127.0.0.1:${PORT}"

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
cargo build --release -q -p dorfapp
SERVER=""
DATA=""
DBNAME=""
cleanup() {
  if [ -n "${SERVER}" ]; then kill "${SERVER}" 2>/dev/null || true; wait "${SERVER}" 2>/dev/null || true; fi
  [ -n "${DATA}" ] && rm -rf "${DATA}"
  [ -n "${DBNAME}" ] && psql "${PGURL}/postgres" -qc "DROP DATABASE IF EXISTS ${DBNAME}" >/dev/null 2>&1
  SERVER=""; DATA=""; DBNAME=""
}
trap cleanup EXIT

run() { # name, url
  printf '%-34s ' "$1"
  wrk -t"${THREADS}" -c"${CONNECTIONS}" -d"${DURATION}s" --latency "$2" \
    | awk '/Requests\/sec/{rps=$2} /^ +50%/{p50=$2} /^ +99%/{p99=$2} /Non-2xx/{bad=$NF}
           END{printf "%10s req/s  p50 %8s  p99 %8s%s\n", rps, p50, p99, (bad ? "  NON-2XX " bad : "")}'
}

echo "backend: ${BACKEND}; machine: $(nproc) cores, $(uname -m); ${CONNECTIONS} connections, ${DURATION}s per run"
for TOTAL in ${TOTALS}; do
  DATA="$(mktemp -d)"
  if [ "${BACKEND}" = postgres ]; then
    DBNAME="dorfapp_feed_bench_$$"
    psql "${PGURL}/postgres" -qc "CREATE DATABASE ${DBNAME}" >/dev/null
    export DORFAPP_DATABASE_URL="${PGURL}/${DBNAME}"
    FILL_TARGET="${DORFAPP_DATABASE_URL}"
  else
    unset DORFAPP_DATABASE_URL
    FILL_TARGET="sqlite:${DATA}/dorfapp.db"
  fi
  DORFAPP_BIND="127.0.0.1:${PORT}" DORFAPP_DATA_DIR="${DATA}" DORFAPP_LOG=warn \
    ./target/release/dorfapp serve &
  SERVER=$!
  for _ in $(seq 1 100); do curl -sf "${BASE}/health/ready" >/dev/null && break; sleep 0.1; done
  DISTRICT="$(curl -sf "${BASE}/api/v1/districts" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')"
  started=$(date +%s)
  python3 bench/fill-news.py "${FILL_TARGET}" "${TOTAL}" "${DISTRICT}"
  echo
  echo "## ${TOTAL} items ($((TOTAL / 10)) in the district read; filled in $(( $(date +%s) - started )) s)"
  FEED="${BASE}/api/v1/news?district_id=${DISTRICT}&limit=20"
  CURSOR=""
  for _ in $(seq 1 50); do
    CURSOR="$(curl -sf "${FEED}${CURSOR:+&cursor=${CURSOR}}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["next_cursor"])')"
  done
  run "feed, first page (20 items)" "${FEED}"
  run "feed, page 51 (by cursor)" "${FEED}&cursor=${CURSOR}"
  run "feed, category=warning" "${FEED}&category=warning"
  run "feed, whole municipality" "${BASE}/api/v1/news?limit=20"
  run "/health/live (no database)" "${BASE}/health/live"
  echo "server resident memory: $(ps -o rss= -p "${SERVER}" | awk '{printf "%.0f MB", $1/1024}')"
  cleanup
done
