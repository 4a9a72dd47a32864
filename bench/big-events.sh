#!/usr/bin/env bash
# A large events file (LANGUAGE.md 9.2) is read line by line: generates an events file of
# about SIZE_MB megabytes (default 100) for 10,000 people, adds it with `camp run` without
# running it (the events are after --until), then runs the first hour of it, and prints each
# step's time and peak memory (`/usr/bin/time`). Peak memory should not grow with the file.
#
#   bench/big-events.sh [SIZE_MB=100]
#
# Not run in CI. Needs bash, awk, GNU time. Builds camp in release mode.
set -euo pipefail
SIZE_MB=${1:-100}
cd "$(dirname "$0")/.."
cargo build --release --quiet
CAMP=${CARGO_TARGET_DIR:-target}/release/camp
WORK=$(mktemp -d "${TMPDIR:-/tmp}/camp-big-events.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

cat >"$WORK/big.camp" <<'CAMP'
page "Pricing"
page "Docs"
campaign "Pricing visit" {
  smart list { trigger visits page "Pricing" }
  flow { change score by 1 }
  qualify every time
}
CAMP
awk 'BEGIN { print "email"; for (i = 0; i < 10000; i++) printf "p%d@example.com\n", i }' >"$WORK/people.csv"
# About 92 bytes a line, one event a second from 2026-12-01T01:00:00Z.
lines=$(( SIZE_MB * 1048576 / 92 ))
awk -v n="$lines" 'BEGIN {
  t0 = 1796086800  # 2026-12-01T01:00:00Z
  for (i = 0; i < n; i++) {
    t = t0 + i
    printf "{\"at\":\"%s\",\"type\":\"visits_page\",\"person\":\"p%d@example.com\",\"page\":\"%s\"}\n",
      strftime("%Y-%m-%dT%H:%M:%SZ", t, 1), i % 10000, (i % 4 == 0 ? "Pricing" : "Docs")
  }
}' >"$WORK/events.jsonl"
size=$(du -m "$WORK/events.jsonl" | cut -f1)
echo "events file: $lines events, $size MB"

measure() { # label, command...
  local label=$1; shift
  /usr/bin/time -f "%e s %M KiB" -o "$WORK/time" "$@" >/dev/null
  read -r secs _ kib _ <"$WORK/time"
  printf '%-40s %8s s  peak %6d MiB\n' "$label" "$secs" $(( kib / 1024 ))
}
measure "add the file (nothing runs)" "$CAMP" run "$WORK/big.camp" --db "$WORK/big.db" \
  --people "$WORK/people.csv" --events "$WORK/events.jsonl" \
  --from "2026-12-01 00:00" --until "2026-12-01 00:30" -q
measure "run the first hour (3,600 events)" "$CAMP" run "$WORK/big.camp" --db "$WORK/big.db" \
  --until "2026-12-01 02:00" -q
