#!/usr/bin/env bash
# Authenticated lists: what a signed-in resident's reads cost, which no cache holds (every
# answer is `no-store` and checks the token's session, user and roles in the database first).
#
# Starts a release build on a fresh database (SQLite in a temporary data directory, or a fresh
# PostgreSQL database with BACKEND=postgres) and fills it through the API with
# bench/fill-resident.py: a resident who follows their district, 40 rides they booked and 25
# news items with `notify: true` in their inbox. Then drives it with wrk on loopback, each
# request with the resident's bearer token: `GET /me` (the sign-in check alone), the first
# page of the inbox (`/me/notifications`), the first page of their rides (`/rides`), and for
# comparison the uncached news feed (public, `DORFAPP_FEED_CACHE_TTL_MS=0`) and `/health/live`
# in the same run. Bounded: DURATION seconds per run; the server is stopped at the end.
#
#   bench/authenticated-lists.sh                    # SQLite
#   BACKEND=postgres bench/authenticated-lists.sh   # PostgreSQL at PGURL (default local, trust)
#
# Needs: wrk, curl, python3, and for PostgreSQL psql.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${DURATION:-10}"
THREADS="${THREADS:-2}"
CONNECTIONS="${CONNECTIONS:-32}"
BACKEND="${BACKEND:-sqlite}"
PGURL="${PGURL:-postgres://postgres@127.0.0.1:5432}"
PORT="${PORT:-18183}"
BASE="http://127.0.0.1:${PORT}"

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
cargo build --release -q -p dorfapp
SERVER=""
DATA="$(mktemp -d)"
DBNAME=""
cleanup() {
  if [ -n "${SERVER}" ]; then kill "${SERVER}" 2>/dev/null || true; wait "${SERVER}" 2>/dev/null || true; fi
  rm -rf "${DATA}"
  [ -n "${DBNAME}" ] && psql "${PGURL}/postgres" -qc "DROP DATABASE IF EXISTS ${DBNAME}" >/dev/null 2>&1
  true
}
trap cleanup EXIT

# shellcheck source=bench/wrk-line.sh
source bench/wrk-line.sh
run() { wrk_line 40 "$@"; } # name, url, extra wrk arguments...

if [ "${BACKEND}" = postgres ]; then
  DBNAME="dorfapp_lists_bench_$$"
  psql "${PGURL}/postgres" -qc "CREATE DATABASE ${DBNAME}" >/dev/null
  export DORFAPP_DATABASE_URL="${PGURL}/${DBNAME}"
else
  unset DORFAPP_DATABASE_URL
fi
DORFAPP_BIND="127.0.0.1:${PORT}" DORFAPP_DATA_DIR="${DATA}" DORFAPP_LOG=warn \
  DORFAPP_FEED_CACHE_TTL_MS=0 DORFAPP_ADMIN_EMAIL=admin@example.org \
  DORFAPP_ADMIN_PASSWORD=richtig-langes-passwort ./target/release/dorfapp serve &
SERVER=$!
for _ in $(seq 1 100); do curl -sf "${BASE}/health/ready" >/dev/null && break; sleep 0.1; done

# The resident's access token (it lives 15 minutes: enough for the runs below) and district.
read -r TOKEN DISTRICT < <(python3 bench/fill-resident.py "${BASE}" admin@example.org richtig-langes-passwort)
AUTH="Authorization: Bearer ${TOKEN}"

echo "backend: ${BACKEND}; machine: $(nproc) cores, $(uname -m); ${CONNECTIONS} connections, ${DURATION}s per run"
run "GET /me (the sign-in check)" "${BASE}/api/v1/me" -H "${AUTH}"
run "inbox, first page (20 of 25)" "${BASE}/api/v1/me/notifications?limit=20" -H "${AUTH}"
run "rides, first page (20 of 40)" "${BASE}/api/v1/rides?limit=20" -H "${AUTH}"
run "feed, first page, uncached (public)" "${BASE}/api/v1/news?district_id=${DISTRICT}&limit=20"
run "/health/live (no database)" "${BASE}/health/live"
