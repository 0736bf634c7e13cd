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

say() {
  echo "zlint.sh: $*" >&2
}

cache_root() {
  echo "${MESH_PKI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mesh-pki}"
}

# The version zlint reports: the one go.mod pins.
pinned_version() {
  (cd "$module" && go list -m -f '{{.Version}}' github.com/zmap/zlint/v3)
}

cache_key() {
  {
    go version
    cat "$module/go.mod" "$module/go.sum"
  } | sha256sum | cut -c1-16
}

from_environment() {
  [ -n "${ZLINT:-}" ] || return 1
  if [ ! -x "$ZLINT" ]; then
    say "ZLINT=$ZLINT is not an executable; unset it or point it at zlint"
    exit 1
  fi
  echo "$ZLINT"
}

require_go() {
  if ! command -v go >/dev/null; then
    say "Go is needed to build zlint here; install Go 1.26 or set ZLINT to a zlint binary"
    exit 1
  fi
}

# Two test files may ask at once: the lock makes the second wait for the first's build.
build() {
  local out=$1 started=$SECONDS version
  exec 9>"$(dirname "$out")/../lock"
  flock 9
  [ -x "$out" ] && return 0
  version=$(pinned_version)
  say "building zlint $version from the Go module proxy (cold: about a minute, once per pinned version)"
  (cd "$module" && go build -trimpath -ldflags "-s -w -X main.version=$version" -o "$out.tmp" \
    github.com/zmap/zlint/v3/cmd/zlint)
  mv "$out.tmp" "$out"
  say "built zlint $version in $((SECONDS - started)) s"
}

main() {
  from_environment && return 0
  require_go
  local out
  out="$(cache_root)/zlint-$(cache_key)/bin/zlint"
  if [ ! -x "$out" ]; then
    mkdir -p "$(dirname "$out")"
    build "$out"
  fi
  echo "$out"
}

main "$@"
