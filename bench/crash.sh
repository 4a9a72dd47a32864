#!/usr/bin/env bash
# Crash stress (LANGUAGE.md 9.7), the long version of tests/crash.rs: kills `camp run` with
# SIGKILL at random instants for N minutes over fresh stores, and after each store's run
# completes compares its log and outbox (ids and keys aside) with an uninterrupted run.
#
#   bench/crash.sh [MINUTES=10] [PEOPLE=5000]
#
# Not run in CI. Needs bash, awk, sed, sort. Builds camp in release mode.
set -euo pipefail
MINUTES=${1:-10}
PEOPLE=${2:-5000}
cd "$(dirname "$0")/.."
cargo build --release --quiet
CAMP=${CARGO_TARGET_DIR:-target}/release/camp
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# The script of tests/crash.rs (in tests/support/crash_scenario.rs).
awk '/^pub const SCRIPT: &str = r#"$/{on=1; next} on && /^"#;$/{exit} on' tests/support/crash_scenario.rs >"$WORK/crash.camp"
awk -v n="$PEOPLE" 'BEGIN {
  split("CA NY TX", st, " ")
  for (i = 0; i < n; i++)
    printf "{\"at\":\"2026-12-01T%02d:%02d:%02dZ\",\"type\":\"person_created\",\"person\":{\"email\":\"p%d@example.com\",\"first_name\":\"P%d\",\"state\":\"%s\"}}\n", 1 + int(i / 3600), int(i / 60) % 60, i % 60, i, i, st[i % 3 + 1]
  for (v = 0; v < 2; v++)
    for (i = 0; i < n; i += 3)
      printf "{\"at\":\"2026-12-01T%02d:%02d:%02dZ\",\"type\":\"visits_page\",\"person\":\"p%d@example.com\",\"page\":\"Pricing\"}\n", 12 + v * 3 + int(i / 3600), int(i / 60) % 60, i % 60, i
}' >"$WORK/events.jsonl"

FROM=2026-12-01T00:00:00Z
UNTIL=2026-12-05T00:00:00Z
setup() { "$CAMP" run "$WORK/crash.camp" --db "$1" --events "$WORK/events.jsonl" --from $FROM --until $FROM -q; }
run() { "$CAMP" run "$WORK/crash.camp" --db "$1" --until $UNTIL -q; }
dump() {
  "$CAMP" log --db "$1" --format json | sed -E 's/"id":[0-9]+,//' >"$1.log"
  "$CAMP" outbox --db "$1" --format json | sed -E 's/"id":[0-9]+,//; s/"key":"[^"]*"//' >"$1.outbox"
  "$CAMP" outbox --db "$1" --format json | grep -o '"key":"[^"]*"' | sort | uniq -d >"$1.dupkeys"
}

setup "$WORK/a.db"
start=$(date +%s%N)
run "$WORK/a.db"
ref_ms=$(( ($(date +%s%N) - start) / 1000000 ))
dump "$WORK/a.db"
echo "reference: $(wc -l <"$WORK/a.db.log") activities, $(wc -l <"$WORK/a.db.outbox") outbox rows, ${ref_ms} ms"

end=$(( $(date +%s) + MINUTES * 60 ))
kills=0
round=0
RANDOM=42
while [ "$(date +%s)" -lt "$end" ]; do
  round=$((round + 1))
  db="$WORK/b$round.db"
  setup "$db"
  while true; do
    # camp itself in the background (not a function's subshell), so that the kill reaches it.
    "$CAMP" run "$WORK/crash.camp" --db "$db" --until $UNTIL -q &
    pid=$!
    delay_ms=$(( (RANDOM * 32768 + RANDOM) % (ref_ms / 4 + 50) ))
    sleep "$(awk -v ms="$delay_ms" 'BEGIN { printf "%.3f", ms / 1000 }')"
    if kill -0 "$pid" 2>/dev/null; then
      kill -9 "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
      kills=$((kills + 1))
    else
      wait "$pid"
      break
    fi
  done
  dump "$db"
  if ! cmp -s "$WORK/a.db.log" "$db.log" || ! cmp -s "$WORK/a.db.outbox" "$db.outbox" || [ -s "$db.dupkeys" ]; then
    echo "round $round: MISMATCH after $kills kills (kept in $db)"
    diff "$WORK/a.db.log" "$db.log" | head -20 || true
    trap - EXIT
    exit 1
  fi
  echo "round $round: ok ($kills kills so far)"
  rm -f "$db" "$db-wal" "$db-shm" "$db".*
done
echo "$kills kills in $round rounds: every store matched the uninterrupted run"
