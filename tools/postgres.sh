#!/usr/bin/env bash
# A throwaway PostgreSQL server for the Pulumi CLI's postgres:// state backend: Debian's postgresql (installed
# when missing), one cluster made with initdb in a directory of its own, listening on 127.0.0.1 only on a
# free port, a dedicated role and database with a random password checked by SCRAM.
#
# Usage:
#   tools/postgres.sh start   create and start the cluster unless it runs already; print its postgres:// URL
#   tools/postgres.sh url     print the URL of the running cluster (exit 1 when none runs)
#   tools/postgres.sh stop    stop the cluster and remove its directory (a no-op when there is none)
#
# The cluster lives in MESH_PKI_POSTGRES_DIR (default ${TMPDIR:-/tmp}/mesh-pki-postgres); every command acts on
# that directory only, never on another server. As root, the server runs as the `postgres` user, so the
# directory's parents must be ones that user can enter (/tmp is).
# The URL carries sslmode=disable: the server is on loopback and has no certificate. A shared server is not
# like this; see "Shared state on PostgreSQL" in README.md.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
dir="${MESH_PKI_POSTGRES_DIR:-${TMPDIR:-/tmp}/mesh-pki-postgres}"
data="$dir/data"
urlfile="$dir/url"
logfile="$dir/server.log"
role=mesh_pki
database=mesh_pki

say() {
  echo "postgres: $*" >&2
}

# The server refuses to run as root; as root, its commands run as `postgres` (the Debian package's user).
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

bin_dir() {
  local bin
  bin=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n1)
  [ -n "$bin" ] && [ -x "$bin/initdb" ] || return 1
  echo "$bin"
}

install_server() {
  bin_dir >/dev/null && return 0
  "$here/install.sh" debian postgresql
  bin_dir >/dev/null || { say "postgresql is installed but no /usr/lib/postgresql/*/bin/initdb was found"; exit 1; }
}

# The server answers on its socket; a pid file alone is not enough, since a killed server may linger as a
# zombie that `pg_ctl status` still counts as running.
running() {
  local bin port
  bin=$(bin_dir) || return 1
  port=$(sed -n 4p "$data/postmaster.pid" 2>/dev/null) || return 1
  [ -n "$port" ] && "$bin/pg_isready" -q -h "$dir" -p "$port" -t 3
}

# Stops the server of this directory: politely when it answers, by pid when it does not.
stop_server() {
  local bin pid
  bin=$(bin_dir) || return 0
  pid=$(head -n1 "$data/postmaster.pid" 2>/dev/null) || return 0
  if running; then
    as_owner "$bin/pg_ctl" -D "$data" -m fast -w -t 30 stop >/dev/null ||
      as_owner "$bin/pg_ctl" -D "$data" -m immediate -w -t 30 stop >/dev/null || true
  elif [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = postgres ]; then
    kill -KILL "$pid" 2>/dev/null || true
  fi
}

# A port nothing answers on; the start is retried on another one if it was taken in between.
free_port() {
  local i port
  for i in $(seq 1 50); do
    port=$((20000 + RANDOM % 40000))
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return 0; }
  done
  say "found no free port on 127.0.0.1 in 50 tries"
  exit 1
}

random_password() {
  head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n'
}

init_cluster() {
  local bin=$1
  rm -rf "$dir"
  mkdir -p "$dir"
  chmod 0700 "$dir"
  [ "$(id -u)" -ne 0 ] || chown postgres: "$dir"
  # Loopback TCP needs a SCRAM password; the Unix socket, in this directory only, is for the owner.
  as_owner "$bin/initdb" -D "$data" --username=postgres --auth-local=peer --auth-host=scram-sha-256 \
    --encoding=UTF8 --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1 ||
    { say "initdb failed; see $dir/initdb.log"; tail -n 20 "$dir/initdb.log" >&2; exit 1; }
  as_owner tee -a "$data/postgresql.conf" >/dev/null <<EOF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
password_encryption = 'scram-sha-256'
shared_buffers = 32MB
max_connections = 50
EOF
}

start_server() {
  local bin=$1 attempt port
  for attempt in 1 2 3; do
    port=$(free_port)
    if as_owner "$bin/pg_ctl" -D "$data" -l "$logfile" -o "-p $port" -w -t 30 start >/dev/null 2>&1; then
      echo "$port"
      return 0
    fi
    grep -q "could not bind\|could not create any TCP/IP sockets" "$logfile" 2>/dev/null || break
    say "port $port was taken; trying another"
  done
  say "the server did not start within 30 s; see $logfile"
  tail -n 20 "$logfile" >&2 || true
  exit 1
}

create_role() {
  local bin=$1 port=$2 password=$3
  as_owner "$bin/psql" -h "$dir" -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 -q >/dev/null <<EOF
CREATE ROLE $role LOGIN PASSWORD '$password';
CREATE DATABASE $database OWNER $role;
EOF
}

start() {
  if running && [ -s "$urlfile" ]; then
    cat "$urlfile"
    return 0
  fi
  install_server
  local bin began port password url
  bin=$(bin_dir)
  began=$(date +%s%N)
  # A directory left by a killed run is replaced; a server still in it is stopped first.
  stop_server
  say "creating a cluster in $dir ($("$bin/postgres" --version))"
  init_cluster "$bin"
  port=$(start_server "$bin")
  password=$(random_password)
  create_role "$bin" "$port" "$password"
  url="postgres://$role:$password@127.0.0.1:$port/$database?sslmode=disable"

  # The URL is what clients use: prove the password login over TCP before handing it out.
  PGCONNECT_TIMEOUT=10 "$bin/psql" "$url" -tAq -c "SELECT 1" >/dev/null ||
    { say "the server runs but refuses $role on 127.0.0.1:$port; see $logfile"; exit 1; }
  (umask 077 && echo "$url" >"$urlfile.tmp")
  mv "$urlfile.tmp" "$urlfile"
  say "PostgreSQL is up on 127.0.0.1:$port in $((($(date +%s%N) - began) / 1000000)) ms" \
    "(pid $(head -n1 "$data/postmaster.pid"))"
  cat "$urlfile"
}

url() {
  if running && [ -s "$urlfile" ]; then
    cat "$urlfile"
    return 0
  fi
  say "no cluster runs in $dir; run tools/postgres.sh start"
  exit 1
}

stop() {
  if [ ! -d "$dir" ]; then
    say "no cluster in $dir"
    return 0
  fi
  local began
  began=$(date +%s%N)
  if [ -f "$data/postmaster.pid" ]; then
    say "stopping the cluster in $dir (pid $(head -n1 "$data/postmaster.pid"))"
    stop_server
  fi
  rm -rf "$dir"
  say "removed $dir in $((($(date +%s%N) - began) / 1000000)) ms"
}

main() {
  case "${1:-}" in
    start) start ;;
    url) url ;;
    stop) stop ;;
    *)
      say "usage: tools/postgres.sh start|url|stop"
      exit 2
      ;;
  esac
}

main "$@"
