#!/usr/bin/env bash
# The three-workers test of `tests/postgres_workers.rs` at full size: 100,000 people (166,666
# events, two batch runs over 100,000 people), one worker killed with SIGKILL a quarter of the
# way through, the result compared with one worker's, in release mode. Takes minutes.
#
#   bench/postgres-workers.sh [PEOPLE=100000]
#
# The server: CAMP_TEST_POSTGRES=URL, or else a throw-away cluster (tests/postgres-cluster.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '%s\n' "$*" >&2; }
apt_install() { say "bench/postgres-workers.sh: $1 is missing: install it (apt-get install $1)"; return 1; }
# shellcheck source=tests/postgres-cluster.sh
. tests/postgres-cluster.sh
if [ -z "${CAMP_TEST_POSTGRES:-}" ]; then
  start_postgres "the workers benchmark" || exit 1
  export CAMP_TEST_POSTGRES=$PG_URL
fi
export CAMP_TEST_WORKERS_PEOPLE=${1:-100000}
time cargo test --release --test postgres_workers three_workers_with_one_killed -- --nocapture
