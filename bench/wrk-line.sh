# Sourced by the feed and list benchmarks: one wrk run as one line of the report.
#
#   wrk_line WIDTH NAME URL [extra wrk arguments...]
#
# Prints NAME padded to WIDTH, then req/s, p50 and p99 latency, and the count of answers that
# were not 2xx (which makes a line worthless: the server answered something else than asked).
# Uses THREADS, CONNECTIONS and DURATION from the calling script.
wrk_line() {
  local width="$1" name="$2" url="$3"
  shift 3
  printf "%-${width}s " "${name}"
  wrk -t"${THREADS}" -c"${CONNECTIONS}" -d"${DURATION}s" --latency "$@" "${url}" \
    | awk '/Requests\/sec/{rps=$2} /^ +50%/{p50=$2} /^ +99%/{p99=$2} /Non-2xx/{bad=$NF}
           END{printf "%10s req/s  p50 %8s  p99 %8s%s\n", rps, p50, p99, (bad ? "  NON-2XX " bad : "")}'
}
