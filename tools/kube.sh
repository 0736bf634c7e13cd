#!/usr/bin/env bash
# Finds or builds the Kubernetes control plane the Kubernetes end-to-end tests run against: kube-apiserver
# and kube-controller-manager from k8s.io/kubernetes at the version pinned in tools/engine/kube/go.mod, built
# from the Go module proxy into a cache outside the repository keyed by that go.mod and go.sum. etcd and
# kubectl come from Debian (`tools/install.sh debian etcd-server kubectl`). A warm run only checks the cache.
#
# Usage: tools/kube.sh [bin-dir | build]
#   bin-dir         print the directory holding kube-apiserver and kube-controller-manager (builds them
#                   when missing: about 4.5 + 2 minutes cold)
#   build           the same, quietly
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
module="$here/engine/kube"
# shellcheck source=tools/lib/gocache.sh
source "$here/lib/gocache.sh"

# Bumped when the way the binaries are built changes.
recipe=1

say() {
  echo "kube: $*" >&2
}

build_command() {
  gocache_build "$module" "k8s.io/kubernetes/cmd/$2" "$1/$2" "$3"
}

build_all() {
  local bin
  bin="$(gocache_root)/kube-$(gocache_key "recipe $recipe" "$module/go.mod" "$module/go.sum")/bin"
  [ -f "$bin/.complete" ] && { echo "$bin"; return 0; }
  gocache_require_go kube-apiserver
  gocache_lock "$bin"
  if [ ! -f "$bin/.complete" ]; then
    build_command "$bin" kube-apiserver "about 4.5 minutes"
    build_command "$bin" kube-controller-manager "about 2 minutes"
    touch "$bin/.complete"
  fi
  echo "$bin"
}

main() {
  local cmd=${1:-bin-dir}
  case "$cmd" in
    bin-dir | build)
      local bin
      bin=$(build_all)
      if [ "$cmd" = bin-dir ]; then echo "$bin"; fi
      ;;
    *)
      say "unknown command '$cmd'; use bin-dir or build"
      exit 2
      ;;
  esac
}

main "$@"
