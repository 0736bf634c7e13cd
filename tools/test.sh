#!/usr/bin/env bash
# Every test: installs what the tests need (npm packages, Debian tools, the engine), checks formatting,
# lint and types, then runs the unit tests and the tests that drive the real engine.
#
# Usage: npm test [-- vitest arguments]   (e.g. npm test -- --project unit)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
debian_packages=(openssl curl prometheus etcd-server kubectl docker.io debootstrap postgresql)
# A PostgreSQL server this run started, stopped when it ends.
postgres_dir=""

say() {
  echo "test: $*" >&2
}

install() {
  "$root/tools/install.sh" npm
  "$root/tools/install.sh" debian "${debian_packages[@]}"
  "$root/tools/toolchain.sh" build
  "$root/tools/kube.sh" build
  "$root/tools/zlint.sh" >/dev/null
  # The docker e2e tests need an engine; this one (if started here) is stopped when the run ends.
  "$root/tools/docker.sh" start
  "$root/tools/docker.sh" base-image
  start_postgres
}

# The PostgreSQL state backend tests share one throwaway server (tools/postgres.sh) in a directory of this
# run's own, so a cluster started by hand is neither reused nor stopped; MESH_PKI_POSTGRES_URL names a
# server to use instead.
start_postgres() {
  if [ -n "${MESH_PKI_POSTGRES_URL:-}" ]; then
    say "using the PostgreSQL server in MESH_PKI_POSTGRES_URL"
    return 0
  fi
  postgres_dir="${TMPDIR:-/tmp}/mesh-pki-postgres-test-$$"
  MESH_PKI_POSTGRES_URL=$(MESH_PKI_POSTGRES_DIR="$postgres_dir" "$root/tools/postgres.sh" start)
  export MESH_PKI_POSTGRES_URL
}

stop_services() {
  if [ -n "$postgres_dir" ]; then
    MESH_PKI_POSTGRES_DIR="$postgres_dir" "$root/tools/postgres.sh" stop ||
      say "could not stop PostgreSQL in $postgres_dir"
  fi
  "$root/tools/docker.sh" stop
}

static_checks() {
  say "prettier, eslint, tsc"
  prettier --check --log-level warn .
  eslint --max-warnings 0 .
  tsc -p tsconfig.json --noEmit
  tsc -p test/tsconfig.json
  [ ! -f policy/tsconfig.json ] || tsc -p policy/tsconfig.json --noEmit
}

# vitest's own summary is printed too; the last line is the plain "N passed, N failed" that CI reads.
run_tests() {
  local report status=0
  report=$(mktemp)
  vitest run --reporter=default --reporter=json --outputFile.json="$report" "$@" || status=$?
  node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const skipped = r.numPendingTests + r.numTodoTests;
    console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""));
  ' "$report" || status=1
  rm -f "$report"
  return "$status"
}

main() {
  cd "$root"
  trap stop_services EXIT
  install
  export PATH="$root/node_modules/.bin:$PATH"
  static_checks
  run_tests "$@"
}

main "$@"
