#!/usr/bin/env bash
# Feed benchmark: how a district's news feed reads at 10k, 100k and 1M items, with and without
# the in-memory page cache, and while 64 connections flood the login.
#
# For each size it starts a release build on a fresh database (SQLite in a temporary data
# directory, or a fresh PostgreSQL database with BACKEND=postgres), fills it with
# bench/fill-news.py (a tenth of the items in the district read, 1% municipality-wide), then
# drives it with wrk on loopback: the first page, a page 50 pages deep (by cursor), a category
# filter, the first page with gzip, and /health/live in the same run for comparison. With
# FLOOD=1 (default) it then reads the first page again while `hey` sends correct logins on 64
# more connections (argon2id for each), and once more while the logins carry a wrong
# password (answered 429 once the limit is reached). Each size runs twice: with the page
# cache (as shipped) and with DORFAPP_FEED_CACHE_TTL_MS=0 (every read from the database).
# Bounded: DURATION seconds per run; the server is stopped at the end.
#
#   bench/news-feed.sh                              # SQLite, 10k, 100k and 1M items
#   BACKEND=postgres bench/news-feed.sh             # PostgreSQL at PGURL (default local, trust)
#   TOTALS="100000" CACHE="on" FLOOD=0 bench/news-feed.sh
#
# Needs: wrk, hey (login flood), curl, python3, and for PostgreSQL psql.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${DURATION:-10}"
THREADS="${THREADS:-2}"
CONNECTIONS="${CONNECTIONS:-32}"
FLOOD_CONNECTIONS="${FLOOD_CONNECTIONS:-64}"
TOTALS="${TOTALS:-10000 100000 1000000}"
CACHE="${CACHE:-on off}"
FLOOD="${FLOOD:-1}"
BACKEND="${BACKEND:-sqlite}"
PGURL="${PGURL:-postgres://postgres@127.0.0.1:5432}"
PORT="${PORT:-18182}"
BASE="http://127.0.0.1:${PORT}"

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
if [ "${FLOOD}" = 1 ]; then
  command -v hey >/dev/null || { echo "hey is missing: apt-get install hey" >&2; exit 1; }
fi
cargo build --release -q -p dorfapp
SERVER=""
DATA=""
DBNAME=""
stop_server() {
  if [ -n "${SERVER}" ]; then kill "${SERVER}" 2>/dev/null || true; wait "${SERVER}" 2>/dev/null || true; fi
  SERVER=""
}
cleanup() {
  stop_server
  [ -n "${DATA}" ] && rm -rf "${DATA}"
  [ -n "${DBNAME}" ] && psql "${PGURL}/postgres" -qc "DROP DATABASE IF EXISTS ${DBNAME}" >/dev/null 2>&1
  DATA=""; DBNAME=""
}
trap cleanup EXIT

# shellcheck source=bench/wrk-line.sh
source bench/wrk-line.sh
run() { wrk_line 46 "$@"; } # name, url, extra wrk arguments...

# Logins on FLOOD_CONNECTIONS connections for the length of one feed run (started in the
# background; flood_report waits for it and prints what hey saw).
flood() { # email, password, client address (X-Forwarded-For; 127.0.0.1 is a trusted proxy)
  FLOOD_OUT="$(mktemp)"
  hey -z "$((DURATION + 1))s" -c "${FLOOD_CONNECTIONS}" -m POST -T application/json \
    -H "X-Forwarded-For: $3" -d "{\"email\":\"$1\",\"password\":\"$2\"}" \
    "${BASE}/api/v1/auth/login" >"${FLOOD_OUT}" 2>&1 &
  FLOODER=$!
  sleep 1 # let the flood reach its pace before the feed is measured
}
flood_report() {
  wait "${FLOODER}" || true
  awk '/Requests\/sec/{rps=$2} /^  \[[0-9]+\]/{codes=codes " " $1 "x" $2}
       END{printf "%46s  logins: %s/s, answers%s\n", "", rps, codes}' "${FLOOD_OUT}"
  rm -f "${FLOOD_OUT}"
}

start_server() { # cache ttl in ms
  DORFAPP_BIND="127.0.0.1:${PORT}" DORFAPP_DATA_DIR="${DATA}" DORFAPP_LOG=warn \
    DORFAPP_FEED_CACHE_TTL_MS="$1" DORFAPP_TRUSTED_PROXIES=127.0.0.1 ./target/release/dorfapp serve &
  SERVER=$!
  for _ in $(seq 1 100); do curl -sf "${BASE}/health/ready" >/dev/null && break; sleep 0.1; done
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
  start_server 1000
  DISTRICT="$(curl -sf "${BASE}/api/v1/districts" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')"
  curl -sf -o /dev/null -X POST -H 'Content-Type: application/json' "${BASE}/api/v1/auth/register" \
    -d '{"email":"flut@example.org","password":"richtig-langes-passwort","display_name":"Flut"}'
  started=$(date +%s)
  python3 bench/fill-news.py "${FILL_TARGET}" "${TOTAL}" "${DISTRICT}"
  filled=$(( $(date +%s) - started ))
  stop_server
  FEED="${BASE}/api/v1/news?district_id=${DISTRICT}&limit=20"
  for MODE in ${CACHE}; do
    start_server "$([ "${MODE}" = on ] && echo "${CACHE_TTL_MS:-1000}" || echo 0)"
    echo
    echo "## ${TOTAL} items ($((TOTAL / 10)) in the district read; filled in ${filled} s), page cache ${MODE}"
    IDLE_RSS="$(ps -o rss= -p "${SERVER}" | awk '{printf "%.0f MB", $1/1024}')"
    CURSOR=""
    for _ in $(seq 1 50); do
      CURSOR="$(curl -sf "${FEED}${CURSOR:+&cursor=${CURSOR}}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["next_cursor"])')"
    done
    run "feed, first page (20 items)" "${FEED}"
    run "feed, page 51 (by cursor)" "${FEED}&cursor=${CURSOR}"
    run "feed, category=warning" "${FEED}&category=warning"
    run "feed, whole municipality" "${BASE}/api/v1/news?limit=20"
    run "feed, first page, Accept-Encoding: gzip" "${FEED}" -H "Accept-Encoding: gzip"
    run "/health/live (no database)" "${BASE}/health/live"
    if [ "${FLOOD}" = 1 ]; then
      # A resident's correct password, from one address: every login costs an argon2id hash.
      flood flut@example.org richtig-langes-passwort 198.51.100.1
      run "feed, first page, correct logins flooding" "${FEED}"
      flood_report
      # Guesses from another address: after 5 failures, 429 before any hashing.
      flood niemand@example.org falsches-passwort-123 198.51.100.2
      run "feed, first page, wrong logins flooding" "${FEED}"
      flood_report
      run "feed, first page, after the floods" "${FEED}"
    fi
    echo "server resident memory: idle ${IDLE_RSS}, after the runs $(ps -o rss= -p "${SERVER}" | awk '{printf "%.0f MB", $1/1024}')"
    stop_server
  done
  cleanup
done
