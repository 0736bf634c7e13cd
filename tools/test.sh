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
  tsc -p bench/tsconfig.json
  [ ! -f policy/tsconfig.json ] || tsc -p policy/tsconfig.json --noEmit
}

# The benchmark at 6 and 50 services, median of 3, fails when a ratio to the openssl script is more than
# 50 % above the one recorded in bench/baseline.json (bench/README.md). It runs before the other tests, on a
# machine that nothing else of this run is loading yet. Its results go to a temporary directory.
bench_gate() {
  local out
  out=$(mktemp -d)
  say "benchmark at 6 and 50 services against bench/baseline.json"
  node bench/run.mts --sizes 6,50 --repeat 3 --gate bench/baseline.json --out "$out" >&2
  local status=$?
  rm -rf "$out"
  return "$status"
}

# vitest's own summary is printed too; the last line is the plain "N passed, N failed" that CI reads, with
# the benchmark gate counted as one test when it ran.
run_tests() {
  local report status=0
  report=$(mktemp)
  vitest run --reporter=default --reporter=json --outputFile.json="$report" "$@" || status=$?
  BENCH_GATE="$bench_result" node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const gate = process.env.BENCH_GATE;
    const passed = r.numPassedTests + (gate === "passed" ? 1 : 0);
    const failed = r.numFailedTests + (gate === "failed" ? 1 : 0);
    const skipped = r.numPendingTests + r.numTodoTests;
    console.log(`${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ""));
  ' "$report" || status=1
  rm -f "$report"
  if [ "$bench_result" = failed ]; then status=1; fi
  return "$status"
}

# "passed", "failed", or "" when the run was given vitest arguments (a partial run has no benchmark).
bench_result=""

main() {
  cd "$root"
  trap stop_services EXIT
  install
  export PATH="$root/node_modules/.bin:$PATH"
  static_checks
  if [ $# -eq 0 ]; then
    if bench_gate; then bench_result=passed; else bench_result=failed; fi
  fi
  run_tests "$@"
}

main "$@"
