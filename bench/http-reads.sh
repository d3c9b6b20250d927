#!/usr/bin/env bash
# Load benchmark of the public read path: starts a release build of the server on a fresh data
# directory (SQLite by default; set DORFAPP_DATABASE_URL for PostgreSQL), then drives it with
# wrk on loopback. Bounded: each run lasts DURATION seconds; the server is stopped at the end.
#
#   bench/http-reads.sh                      # SQLite
#   DORFAPP_DATABASE_URL=postgres://postgres@127.0.0.1:5432/dorfapp_bench bench/http-reads.sh
#
# Needs: wrk (Debian package `wrk`), curl.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${DURATION:-10}"
THREADS="${THREADS:-2}"
PORT="${PORT:-18181}"
BASE="http://127.0.0.1:${PORT}"

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
cargo build --release -q -p dorfapp
DATA="$(mktemp -d)"
trap 'kill "${SERVER}" 2>/dev/null || true; wait "${SERVER}" 2>/dev/null || true; rm -rf "${DATA}"' EXIT
DORFAPP_BIND="127.0.0.1:${PORT}" DORFAPP_DATA_DIR="${DATA}" DORFAPP_LOG=warn \
  ./target/release/dorfapp serve &
SERVER=$!
for _ in $(seq 1 100); do curl -sf "${BASE}/health/ready" >/dev/null && break; sleep 0.1; done

DISTRICT="$(curl -sf "${BASE}/api/v1/districts" | sed -E 's/.*"id":"([^"]+)".*/\1/' | head -c 36)"
ETAG="$(curl -sfI "${BASE}/api/v1/districts" | awk 'tolower($1)=="etag:"{print $2}' | tr -d '\r')"

run() { # name, connections, url, [header]
  local name="$1" conns="$2" url="$3"; shift 3
  printf '\n### %s (c=%s)\n' "${name}" "${conns}"
  wrk -t"${THREADS}" -c"${conns}" -d"${DURATION}s" --latency "$@" "${url}" \
    | grep -E 'Requests/sec|Latency|50%|99%|Non-2xx'
}

echo "backend: ${DORFAPP_DATABASE_URL:-sqlite (data dir)}; machine: $(nproc) cores, $(uname -m)"
for c in 16 64; do
  run "GET /api/v1/districts" "${c}" "${BASE}/api/v1/districts"
  run "GET /api/v1/districts, If-None-Match -> 304" "${c}" "${BASE}/api/v1/districts" -H "If-None-Match: ${ETAG}"
  run "GET /api/v1/districts/{id}" "${c}" "${BASE}/api/v1/districts/${DISTRICT}"
  run "GET /health/live (no database)" "${c}" "${BASE}/health/live"
done
