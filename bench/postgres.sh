#!/usr/bin/env bash
# The PostgreSQL store (LANGUAGE.md 13.4) with 1, 2 and 3 workers: a batch run over N people
# (3-step flow: send email, change score, add to list; everyone qualifies) and the events
# throughput (E `visits_page` events for 10,000 people, a trigger campaign changing the score),
# each on a fresh database; the same two on SQLite (one process, the runner lock) for
# comparison. Prints one table.
#
#   bench/postgres.sh                                   # N = 1,000,000, E = 100,000
#   CAMP_BENCH_PEOPLE=100000 CAMP_BENCH_EVENTS=20000 bench/postgres.sh
#
# The server: CAMP_BENCH_POSTGRES=URL (a superuser URL; databases are created and dropped on
# it), or else a throw-away cluster on a free loopback port with PostgreSQL's default
# durability (fsync on), removed afterwards. Builds camp in release. Not run in CI.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

say() { printf '%s\n' "$*" >&2; }
apt_install() { say "bench/postgres.sh: $1 is missing: install it (apt-get install $1)"; return 1; }
# shellcheck source=tests/postgres-cluster.sh
. tests/postgres-cluster.sh

people=${CAMP_BENCH_PEOPLE:-1000000}
events=${CAMP_BENCH_EVENTS:-100000}
workers=${CAMP_BENCH_WORKERS:-"1 2 3"}
case $people$events in *[!0-9]*) say "CAMP_BENCH_PEOPLE and CAMP_BENCH_EVENTS must be whole numbers"; exit 1 ;; esac

if [ -n "${CAMP_BENCH_POSTGRES:-}" ]; then
  admin=$CAMP_BENCH_POSTGRES
else
  start_postgres "the PostgreSQL benchmark" || exit 1
  admin=$PG_URL
fi
psql_admin() { psql "$admin" -qAt -v ON_ERROR_STOP=1 "$@"; }
command -v psql >/dev/null 2>&1 || { say "bench/postgres.sh needs psql"; exit 1; }

cargo build --release --quiet
camp=${CARGO_TARGET_DIR:-$root/target}/release/camp
work=$(mktemp -d "${TMPDIR:-/tmp}/camp-pg-bench.XXXXXX")
cleanup() { rm -rf "$work"; stop_postgres; }
trap cleanup EXIT

db_url() { echo "${admin%/*}/$1"; }
fresh_db() { psql_admin -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1"; db_url "$1"; }
drop_db() { psql_admin -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)"; }
now_ns() { date +%s%N; }
rate() { awk -v n="$1" -v ns="$2" 'BEGIN { printf "%.0f", n / (ns / 1e9) }'; }
secs() { awk -v ns="$1" 'BEGIN { printf "%.1f s", ns / 1e9 }'; }

cat >"$work/batch.camp" <<'CAMP'
settings { time zone "UTC" }
schema person { first_name: text  state: text }
list "Engaged"
email "Offer" { subject "Hi {{person.first_name:default=friend}}" body "<p>Hello {{person.first_name}}</p>" }
campaign "Blast" {
  smart list { filter state is "CA" }
  flow {
    send email "Offer"
    change score by 10
    add to list "Engaged"
  }
  run at 2026-12-02 09:00
}
CAMP
awk -v n="$people" 'BEGIN { print "email,first_name,state"; for (i = 0; i < n; i++) printf "p%d@example.com,P%d,CA\n", i, i }' >"$work/people.csv"

cat >"$work/events.camp" <<'CAMP'
settings { time zone "UTC" }
page "Pricing"
campaign "Pricing visit" {
  smart list { trigger visits page "Pricing" }
  flow { change score by 1 }
  qualify every time
}
CAMP
awk 'BEGIN { print "email"; for (i = 0; i < 10000; i++) printf "p%d@example.com\n", i }' >"$work/ev-people.csv"
awk -v n="$events" 'BEGIN {
  t0 = 1796086800  # 2026-12-01T01:00:00Z
  for (i = 0; i < n; i++)
    printf "{\"at\":\"%s\",\"type\":\"visits_page\",\"person\":\"p%d@example.com\",\"page\":\"Pricing\"}\n",
      strftime("%Y-%m-%dT%H:%M:%SZ", t0 + int(i / 10), 1), i % 10000
}' >"$work/events.jsonl"
last_at=$(awk -v n="$events" 'BEGIN { printf "%s", strftime("%Y-%m-%dT%H:%M:%SZ", 1796086800 + int((n - 1) / 10) + 1, 1) }')

rows=()
row() { rows+=("$(printf '%s\t%s\t%s' "$1" "$2" "$3")"); }

# Runs `camp run SCRIPT --db DB --until UNTIL` in $1 processes at once; prints the nanoseconds.
run_workers() {
  local n=$1 script=$2 db=$3 until=$4 i pids=()
  local t0; t0=$(now_ns)
  for i in $(seq "$n"); do
    "$camp" run "$script" --db "$db" --until "$until" -q & pids+=($!)
  done
  for i in "${pids[@]}"; do wait "$i"; done
  echo $(( $(now_ns) - t0 ))
}

batch() { # store-kind db workers
  local kind=$1 db=$2 n=$3
  say "== batch, $people people, $kind, $n worker(s)"
  local t0; t0=$(now_ns)
  "$camp" import "$work/people.csv" "$work/batch.camp" --db "$db" --from "2026-12-01 00:00" >/dev/null
  local import_ns=$(( $(now_ns) - t0 ))
  local ns; ns=$(run_workers "$n" "$work/batch.camp" "$db" "2026-12-02 09:00")
  row "batch, $kind, $n worker(s)" "$(rate "$people" "$ns") people/s ($(secs "$ns"))" \
    "import $(rate "$people" "$import_ns") people/s ($(secs "$import_ns"))"
}

events_run() { # store-kind db workers
  local kind=$1 db=$2 n=$3
  say "== events, $events events, $kind, $n worker(s)"
  "$camp" import "$work/ev-people.csv" "$work/events.camp" --db "$db" --from "2026-12-01 00:00" >/dev/null
  local t0; t0=$(now_ns)
  "$camp" run "$work/events.camp" --db "$db" --events "$work/events.jsonl" --until "2026-12-01 00:00" -q
  local add_ns=$(( $(now_ns) - t0 ))
  local ns; ns=$(run_workers "$n" "$work/events.camp" "$db" "$last_at")
  row "events, $kind, $n worker(s)" "$(rate "$events" "$ns") events/s ($(secs "$ns"))" \
    "stored $(rate "$events" "$add_ns") events/s"
}

batch sqlite "$work/batch.db" 1
rm -f "$work"/batch.db*
for n in $workers; do
  batch postgres "$(fresh_db camp_bench_batch)" "$n"
  drop_db camp_bench_batch
done
events_run sqlite "$work/events.db" 1
rm -f "$work"/events.db*
for n in $workers; do
  events_run postgres "$(fresh_db camp_bench_events)" "$n"
  drop_db camp_bench_events
done

say ""
printf '%-34s  %-32s  %s\n' "benchmark" "result" "setup"
for r in "${rows[@]}"; do
  IFS=$'\t' read -r a b c <<<"$r"
  printf '%-34s  %-32s  %s\n' "$a" "$b" "$c"
done
say "(machine: $(nproc) cores; load before: $(cut -d' ' -f1-3 /proc/loadavg))"
