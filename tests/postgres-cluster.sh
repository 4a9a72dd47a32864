# PostgreSQL for tests and benchmarks, sourced by `tests/run` and `bench/postgres.sh`:
# `start_postgres EXTRA_SETTINGS...` starts a throw-away cluster on a free loopback port
# (installing Debian's `postgresql` when missing and possible), sets PG_URL to a superuser URL
# of its `postgres` database, and removes the cluster when the calling script exits. It says
# why when it cannot (PG_URL stays empty). Needs `say` and `apt_install` from the caller.

pg_bin() {
  local d best=""
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && best="$d"
  done
  if [ -z "$best" ] && command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    best="$(dirname "$(command -v initdb)")"
  fi
  echo "$best"
}

pg_dir=""
pg_user=""
pg_bindir=""
PG_URL=""
as_pg() { # run a command as the cluster's owner
  if [ -z "$pg_user" ]; then "$@"; elif command -v runuser >/dev/null 2>&1; then
    runuser -u "$pg_user" -- "$@"
  else su -s /bin/sh "$pg_user" -c "$(printf '%q ' "$@")"; fi
}
stop_postgres() {
  if [ -n "$pg_dir" ]; then
    as_pg "$pg_bindir/pg_ctl" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$pg_dir"
    pg_dir=""
  fi
}

start_postgres() { # what the cluster is for, then extra `-c name=value` settings
  local what="$1"; shift
  pg_bindir="$(pg_bin)"
  if [ -z "$pg_bindir" ] && apt_install postgresql "$what"; then pg_bindir="$(pg_bin)"; fi
  if [ -z "$pg_bindir" ]; then
    say "no PostgreSQL server binaries (initdb, pg_ctl): $what will be skipped"; return 1
  fi
  # The server refuses to run as root: the cluster belongs to `postgres` (made by Debian's
  # package) or to a system user made for it.
  if [ "$(id -u)" -eq 0 ]; then
    if id postgres >/dev/null 2>&1; then pg_user=postgres
    elif useradd --system --no-create-home --shell /usr/sbin/nologin camp-pg >/dev/null 2>&1 || id camp-pg >/dev/null 2>&1; then
      pg_user=camp-pg
    else
      say "running as root with no user to own a PostgreSQL cluster: $what will be skipped"; return 1
    fi
  fi
  pg_dir="$(mktemp -d /tmp/camp-pg.XXXXXX)"
  trap stop_postgres EXIT
  if [ -n "$pg_user" ]; then chown "$pg_user" "$pg_dir"; fi
  if ! as_pg "$pg_bindir/initdb" -D "$pg_dir/data" -A trust -U postgres -E UTF8 --locale=C.UTF-8 >"$pg_dir/initdb.log" 2>&1; then
    say "initdb failed: $what will be skipped"; cat "$pg_dir/initdb.log" >&2; return 1
  fi
  # A port that looks free may be taken before the server binds it: the next one is tried.
  local port="" p started="" s settings
  for p in $(seq 54320 54419); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then continue; fi
    settings="-p $p -k $pg_dir -c listen_addresses=127.0.0.1 -c max_connections=300"
    for s in "$@"; do settings="$settings -c $s"; done
    if as_pg "$pg_bindir/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w -t 60 -o "$settings" start >/dev/null; then
      port=$p; started=1; break
    fi
    if ! grep -q "could not bind\|could not create any TCP/IP sockets" "$pg_dir/server.log" 2>/dev/null; then
      break
    fi
    : >"$pg_dir/server.log"
  done
  if [ -z "$started" ]; then
    say "the PostgreSQL server did not start: $what will be skipped"
    cat "$pg_dir/server.log" >&2 || true
    return 1
  fi
  PG_URL="postgres://postgres@127.0.0.1:$port/postgres"
  say "PostgreSQL $("$pg_bindir/pg_ctl" --version | awk '{print $3}') on 127.0.0.1:$port for $what (removed afterwards)"
}
