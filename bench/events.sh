#!/usr/bin/env bash
# Events calendar benchmark (issue 19): fills a fresh database with TOTAL events through the
# HTTP API (bench/fill-events.py: SERIES weekly series, the rest single events over the next
# two years, over the six districts and the whole town), then drives the server with wrk on
# loopback: a district's calendar for a month (first page), a page deep into a year's window
# (by cursor), the whole town's calendar for a month, a district's iCal feed (200, and 304 with
# If-None-Match), the whole town's iCal feed, and /health/live in the same run. Last it times
# creating the series that expand the most (CREATES sequential creates each, curl's
# time_total): every day without end (the 730-day horizon caps it) for one district, the same
# starting a year back for all six districts (the projection also keeps a year back), and
# FREQ=MONTHLY;BYMONTHDAY=31;COUNT=1000; beside a single event for comparison. These come after
# the reads, so the reads see only the fill.
#
#   bench/events.sh                       # SQLite in a temporary data directory
#   psql postgres://postgres@127.0.0.1:5432/postgres -c 'CREATE DATABASE dorfapp_bench_events'
#   DORFAPP_DATABASE_URL=postgres://postgres@127.0.0.1:5432/dorfapp_bench_events bench/events.sh
#   DURATION=8 TOTAL=2000 SERIES=200 bench/events.sh
#
# PostgreSQL: the database must be empty (the script migrates it); drop it afterwards. After the
# fill the script runs ANALYZE, as autovacuum would in a running town (ANALYZE=0: without).
# Bounded: DURATION seconds per wrk run; the server is stopped at the end.
# Needs: wrk (Debian package `wrk`), curl, python3; psql only to count rows on PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${DURATION:-10}"
THREADS="${THREADS:-2}"
CONNECTIONS="${CONNECTIONS:-32}"
ICS_CONNECTIONS="${ICS_CONNECTIONS:-8}" # a feed is rendered whole per request: see the docs
WRK_TIMEOUT="${WRK_TIMEOUT:-10}"
TOTAL="${TOTAL:-10000}"
SERIES="${SERIES:-1000}"
FILL_THREADS="${FILL_THREADS:-8}"
CREATES="${CREATES:-20}"
DEEP_PAGES="${DEEP_PAGES:-10}"
PORT="${PORT:-18191}"
BASE="http://127.0.0.1:${PORT}"
BIN="${CARGO_TARGET_DIR:-target}/release/dorfapp"
PASSWORD="bench-passwort-2026"

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
command -v curl >/dev/null || { echo "curl is missing" >&2; exit 1; }
cargo build --release -q -p dorfapp
DATA="$(mktemp -d)"
SERVER=""
SUMMARY="$(mktemp)"
trap 'if [ -n "${SERVER}" ]; then kill "${SERVER}" 2>/dev/null || true; wait "${SERVER}" 2>/dev/null || true; fi; rm -rf "${DATA}" "${SUMMARY}"' EXIT
export DORFAPP_BIND="127.0.0.1:${PORT}" DORFAPP_DATA_DIR="${DATA}" DORFAPP_LOG=warn
# The fill posts thousands of events an hour per author; tokens outlive a slow fill.
export DORFAPP_QUOTA_EVENTS_PER_AUTHOR_PER_HOUR=100000000 DORFAPP_ACCESS_TOKEN_TTL_SECONDS=3600
BACKEND="$([ -n "${DORFAPP_DATABASE_URL:-}" ] && echo PostgreSQL || echo SQLite)"

# One administrator per fill thread: publishers are distinct people, each with their own quota.
AUTHORS=()
for i in $(seq 1 "${FILL_THREADS}"); do
  "${BIN}" create-admin --email "autor${i}@bench.dorfapp.invalid" --password "${PASSWORD}" >/dev/null
  AUTHORS+=("autor${i}@bench.dorfapp.invalid")
done
"${BIN}" serve &
SERVER=$!
for _ in $(seq 1 100); do curl -sf "${BASE}/health/ready" >/dev/null && break; sleep 0.1; done

json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
note() { printf '%s\n' "$*" | tee -a "${SUMMARY}"; }

echo "backend: ${BACKEND}; machine: $(nproc) cores, $(uname -m); ${CONNECTIONS} connections (iCal ${ICS_CONNECTIONS}), ${DURATION}s per run"
echo "## fill: ${TOTAL} events (${SERIES} weekly series) through POST /api/v1/events, ${FILL_THREADS} threads"
FILL_OUT="$(mktemp)"
python3 bench/fill-events.py "${BASE}" "${PASSWORD}" "${AUTHORS[@]}" --total "${TOTAL}" \
  --series "${SERIES}" --threads "${FILL_THREADS}" | tee "${FILL_OUT}" || echo "fill: some creates failed (above)"
note "fill: $(grep '^filled' "${FILL_OUT}" || echo 'no summary')"
rm -f "${FILL_OUT}"
if [ "${BACKEND}" = SQLite ]; then
  ROWS="$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('SELECT count(*) FROM event_occurrence').fetchone()[0])" "${DATA}/dorfapp.db")"
elif command -v psql >/dev/null; then
  ROWS="$(psql "${DORFAPP_DATABASE_URL}" -Atc 'SELECT count(*) FROM event_occurrence')"
  # Statistics as autovacuum would have them in a running town, not right after a bulk fill
  # (without them the planner reads a year's rows to sort them for a deep page).
  if [ "${ANALYZE:-1}" = 1 ]; then psql "${DORFAPP_DATABASE_URL}" -qc 'ANALYZE'; fi
fi
note "event_occurrence rows after the fill: ${ROWS:-not counted}"

DISTRICTS="$(curl -sf "${BASE}/api/v1/districts")"
SLUG="${SLUG:-rieder}"
DISTRICT="$(printf '%s' "${DISTRICTS}" | json "[x['id'] for x in d if x['slug']=='${SLUG}'][0]")"
FROM="$(date +%F)"
MONTH="$(date -d "${FROM} + 30 days" +%F)"
YEAR="$(date -d "${FROM} + 365 days" +%F)"
CAL="${BASE}/api/v1/events/occurrences"
FIRST="${CAL}?district_id=${DISTRICT}&from=${FROM}&to=${MONTH}"
TOWN="${CAL}?from=${FROM}&to=${MONTH}"
DEEP="${CAL}?district_id=${DISTRICT}&from=${FROM}&to=${YEAR}"
CURSOR=""
for _ in $(seq 1 "${DEEP_PAGES}"); do
  CURSOR="$(curl -sf "${DEEP}${CURSOR:+&cursor=${CURSOR}}" \
    | json "__import__('urllib.parse').parse.quote(d['next_cursor'], safe='')")"
done
DEEP="${DEEP}&cursor=${CURSOR}"
ICS="${BASE}/api/v1/calendar/${SLUG}.ics"
GEMEINDE="${BASE}/api/v1/calendar/gemeinde.ics"
for url in "${FIRST}" "${DEEP}" "${TOWN}"; do
  curl -sf "${url}" | json "len(d['items'])" >/dev/null || { echo "not answered: ${url}" >&2; exit 1; }
done
feed_size() { # url: size, VEVENTs and time of one request on the idle server
  local body got; body="$(mktemp)"
  got="$(curl -s -o "${body}" -w '%{http_code} %{size_download} %{time_total}' "$1")"
  printf '%s\n' "${got}" | awk -v n="$(grep -c '^BEGIN:VEVENT' "${body}" || true)" \
    '{printf "status %s, %d KB, %d VEVENTs, %.0f ms unloaded", $1, $2/1024, n, $3*1000}'
  rm -f "${body}"
}
ETAG="$(curl -s -D - -o /dev/null "${ICS}" | awk 'tolower($1)=="etag:"{print $2}' | tr -d '\r')"
note "${SLUG}.ics: $(feed_size "${ICS}")"
note "gemeinde.ics: $(feed_size "${GEMEINDE}")"

run() { # name, connections, url, extra wrk arguments...
  local name="$1" conns="$2" url="$3"
  shift 3
  printf '%-52s ' "${name} (c=${conns})" | tee -a "${SUMMARY}"
  wrk -t"${THREADS}" -c"${conns}" -d"${DURATION}s" --timeout "${WRK_TIMEOUT}s" --latency "$@" "${url}" \
    | awk '/Requests\/sec/{rps=$2} /^ +50%/{p50=$2} /^ +99%/{p99=$2} /Non-2xx/{bad=$NF}
           /Socket errors/{err=$0}
           END{printf "%10s req/s  p50 %8s  p99 %8s%s%s\n", rps, p50, p99,
               (bad ? "  NON-2XX " bad : ""), (err ? "  " err : "")}' | tee -a "${SUMMARY}"
}

echo
echo "## reads (${BACKEND}, ${TOTAL} events)"
run "calendar, ${SLUG}, a month, first page" "${CONNECTIONS}" "${FIRST}"
run "calendar, ${SLUG}, a year, page $((DEEP_PAGES + 1)) (cursor)" "${CONNECTIONS}" "${DEEP}"
run "calendar, whole town, a month, first page" "${CONNECTIONS}" "${TOWN}"
run "/health/live (no database)" "${CONNECTIONS}" "${BASE}/health/live"
run "iCal ${SLUG}.ics (200)" "${ICS_CONNECTIONS}" "${ICS}"
run "iCal ${SLUG}.ics, If-None-Match (304)" "${ICS_CONNECTIONS}" "${ICS}" -H "If-None-Match: ${ETAG}"
run "iCal gemeinde.ics (200)" "${ICS_CONNECTIONS}" "${GEMEINDE}"
run "/health/live (no database)" "${ICS_CONNECTIONS}" "${BASE}/health/live"

echo
echo "## creates that expand the most (${CREATES} each, one after the other, after the reads)"
TOKEN="$(curl -sf -X POST -H 'Content-Type: application/json' "${BASE}/api/v1/auth/login" \
  -d "{\"email\":\"${AUTHORS[0]}\",\"password\":\"${PASSWORD}\"}" | json "d['tokens']['access_token']")"
ALL_DISTRICTS="$(printf '%s' "${DISTRICTS}" | json "json.dumps([x['id'] for x in d])")"
TOMORROW="$(date -d "${FROM} + 1 day" +%F)"
YEAR_BACK="$(date -d "${FROM} - 364 days" +%F)"
DAY31="$(python3 -c 'import datetime as t; d=t.date.today()+t.timedelta(days=1)
while d.day != 31: d += t.timedelta(days=1)
print(d)')"
create() { # name, JSON body
  local name="$1" body="$2" out codes times
  out="$(mktemp)"
  for _ in $(seq 1 "${CREATES}"); do
    curl -s -o "${out}.body" -w '%{http_code} %{time_total}\n' -X POST \
      -H "Authorization: Bearer ${TOKEN}" -H 'Content-Type: application/json' \
      -H 'Accept-Language: en' -d "${body}" "${BASE}/api/v1/events" >>"${out}"
    if ! tail -1 "${out}" | grep -q '^201 '; then
      echo "FAILED: POST /api/v1/events ${body} -> $(tail -1 "${out}" | cut -d' ' -f1) $(head -c 500 "${out}.body")" >&2
    fi
  done
  codes="$(cut -d' ' -f1 "${out}" | sort | uniq -c | awk '{printf "%s%sx%s", (NR>1?" ":""), $2, $1}')"
  times="$(cut -d' ' -f2 "${out}" | sort -n | awk '{t[NR]=$1} END{printf "median %.0f ms, max %.0f ms", (NR%2 ? t[(NR+1)/2] : (t[NR/2]+t[NR/2+1])/2)*1000, t[NR]*1000}')"
  printf '%-52s %s (%s)\n' "create: ${name}" "${times}" "${codes}" | tee -a "${SUMMARY}"
  rm -f "${out}" "${out}.body"
}
create "single event, one district" \
  "{\"title\":\"Einzeltermin\",\"category\":\"club\",\"district_ids\":[\"${DISTRICT}\"],\"start\":\"${TOMORROW}T19:00\",\"end\":\"${TOMORROW}T21:00\"}"
create "daily, no end, one district (~730 rows)" \
  "{\"title\":\"Täglich\",\"category\":\"other\",\"district_ids\":[\"${DISTRICT}\"],\"start\":\"${TOMORROW}T19:00\",\"end\":\"${TOMORROW}T20:00\",\"recurrence\":\"FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR,SA,SU\"}"
create "daily, no end, a year back, 6 districts (~6.6k rows)" \
  "{\"title\":\"Täglich überall\",\"category\":\"other\",\"district_ids\":${ALL_DISTRICTS},\"start\":\"${YEAR_BACK}T19:00\",\"end\":\"${YEAR_BACK}T20:00\",\"recurrence\":\"FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR,SA,SU\"}"
create "FREQ=MONTHLY;BYMONTHDAY=31;COUNT=1000" \
  "{\"title\":\"Am 31.\",\"category\":\"meeting\",\"district_ids\":[\"${DISTRICT}\"],\"start\":\"${DAY31}T19:00\",\"end\":\"${DAY31}T20:00\",\"recurrence\":\"FREQ=MONTHLY;BYMONTHDAY=31;COUNT=1000\"}"

note "server resident memory at the end: $(ps -o rss= -p "${SERVER}" | awk '{printf "%.0f MB", $1/1024}')"
echo
echo "## summary (${BACKEND}, ${TOTAL} events, ${DURATION}s per run)"
cat "${SUMMARY}"
