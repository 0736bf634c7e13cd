#!/usr/bin/env bash
# Finds or builds zlint (the X.509 certificate linter) and prints the path of the binary on stdout.
#
# Order: $ZLINT when set, then a build of github.com/zmap/zlint/v3/cmd/zlint at the version pinned in
# tools/engine/zlint/go.mod, from the Go module proxy, into the same cache as the engine
# (${MESH_PKI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mesh-pki}), keyed by that go.mod and go.sum and the
# Go version. A warm run only checks the cache.
#
# Usage: tools/zlint.sh                 prints e.g. ~/.cache/mesh-pki/zlint-0123456789abcdef/bin/zlint
#        "$(tools/zlint.sh)" -includeSources RFC5280,RFC5480 cert.pem
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
module="$here/engine/zlint"
# shellcheck source=tools/lib/gocache.sh
source "$here/lib/gocache.sh"

say() {
  echo "zlint.sh: $*" >&2
}

# The version zlint reports: the one go.mod pins.
pinned_version() {
  (cd "$module" && go list -m -f '{{.Version}}' github.com/zmap/zlint/v3)
}

from_environment() {
  [ -n "${ZLINT:-}" ] || return 1
  if [ ! -x "$ZLINT" ]; then
    say "ZLINT=$ZLINT is not an executable; unset it or point it at zlint"
    exit 1
  fi
  echo "$ZLINT"
}

main() {
  from_environment && return 0
  gocache_require_go "zlint (or set ZLINT to a zlint binary)"
  local out
  out="$(gocache_root)/zlint-$(gocache_key "" "$module/go.mod" "$module/go.sum")/bin/zlint"
  if [ ! -x "$out" ]; then
    gocache_lock "$(dirname "$out")"
    gocache_build "$module" github.com/zmap/zlint/v3/cmd/zlint "$out" "about a minute" \
      "-X main.version=$(pinned_version)"
  fi
  echo "$out"
}

main "$@"
