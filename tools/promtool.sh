#!/usr/bin/env bash
# Finds promtool (Prometheus's rule checker and rule unit tester) and prints its path on stdout.
# Order: $PROMTOOL when set, then PATH, then Debian's `prometheus` package, installed with apt-get when
# missing (needs root and a reachable Debian mirror; takes about a minute on a cold machine).
#
# Usage: tools/promtool.sh            prints e.g. /usr/bin/promtool
#        "$(tools/promtool.sh)" check rules rules.yml
set -euo pipefail

say() {
  echo "promtool.sh: $*" >&2
}

from_environment() {
  [ -n "${PROMTOOL:-}" ] || return 1
  if [ ! -x "$PROMTOOL" ]; then
    say "PROMTOOL=$PROMTOOL is not an executable; unset it or point it at promtool"
    exit 1
  fi
  echo "$PROMTOOL"
}

from_path() {
  command -v promtool
}

require_apt() {
  if ! command -v apt-get >/dev/null; then
    say "promtool is not on PATH and apt-get is missing; install Prometheus's promtool or set PROMTOOL"
    exit 1
  fi
  if [ "$(id -u)" -ne 0 ]; then
    say "promtool is not on PATH; installing Debian's 'prometheus' package needs root (or set PROMTOOL)"
    exit 1
  fi
}

# Two test files may ask at once; apt's own lock serialises them, so wait on it rather than fail.
install_from_debian() {
  require_apt
  local started=$SECONDS
  say "promtool not found; installing Debian's 'prometheus' package (apt-get update, then install)"
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 update -q >&2
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -q \
    --no-install-recommends prometheus >&2
  say "installed prometheus in $((SECONDS - started))s"
}

main() {
  from_environment && return 0
  from_path && return 0
  install_from_debian
  if ! from_path; then
    say "the 'prometheus' package installed but promtool is still not on PATH"
    exit 1
  fi
}

main "$@"
