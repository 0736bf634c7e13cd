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

# Bumped when the way the binaries are built changes.
recipe=1

cache_root() {
  echo "${MESH_PKI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mesh-pki}"
}

say() {
  echo "kube: $*" >&2
}

cache_key() {
  {
    echo "recipe $recipe"
    go version
    cat "$module/go.mod" "$module/go.sum"
  } | sha256sum | cut -c1-16
}

build_command() {
  local bin=$1 name=$2 minutes=$3
  local out="$bin/$name"
  [ -x "$out" ] && return 0
  local started=$SECONDS
  say "building $name from k8s.io/kubernetes via the Go module proxy (cold: about $minutes minutes, once)"
  (cd "$module" && go build -trimpath -ldflags "-s -w" -o "$out.tmp" "k8s.io/kubernetes/cmd/$name")
  mv "$out.tmp" "$out"
  say "built $name in $((SECONDS - started)) s"
}

build_all() {
  local bin
  bin="$(cache_root)/kube-$(cache_key)/bin"
  [ -f "$bin/.complete" ] && { echo "$bin"; return 0; }
  command -v go >/dev/null || { say "Go 1.26 is needed to build kube-apiserver; install it"; exit 1; }
  mkdir -p "$bin"
  exec 9>"$bin/../lock"
  flock 9
  if [ ! -f "$bin/.complete" ]; then
    build_command "$bin" kube-apiserver 4.5
    build_command "$bin" kube-controller-manager 2
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
