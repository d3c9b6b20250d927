#!/usr/bin/env bash
# A 12 MB phone photo to its three sizes in WebP and JPEG (media::process): time per photo and
# the peak memory of the process (GNU time's "Maximum resident set size").
#
#   bench/photo.sh            # 5 rounds
#   ROUNDS=10 bench/photo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS="${ROUNDS:-5}"
PHOTO="${TMPDIR:-/tmp}/dorfapp-bench-photo.jpg"
cargo build -q --release -p media --example process_photo
BIN=target/release/examples/process_photo
[ -f "${PHOTO}" ] || "${BIN}" make "${PHOTO}"
ls -l "${PHOTO}"
if [ -x /usr/bin/time ]; then
  /usr/bin/time -v "${BIN}" run "${PHOTO}" "${ROUNDS}" 2> >(grep -E "Maximum resident|Elapsed" >&2)
else
  "${BIN}" run "${PHOTO}" "${ROUNDS}"
  echo "(install GNU time, Debian package 'time', for the peak memory)"
fi
