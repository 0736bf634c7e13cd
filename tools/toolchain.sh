#!/usr/bin/env bash
# Finds or builds the Pulumi engine this project runs on, and prints the directory to put first on PATH.
#
# A machine with a complete Pulumi installation (the CLI, the Node.js language host and the tls, docker and
# kubernetes plugins) uses it and builds nothing. Elsewhere the CLI, the Node.js language host and the
# kubernetes plugin are built from the Go module proxy at the versions pinned in tools/engine/*/go.mod, into
# a cache outside the repository keyed by those pins; a warm run only checks the cache.
#
# Usage: tools/toolchain.sh [bin-dir | build]
#   bin-dir         print the directory holding pulumi and its plugins (builds what is missing)
#   build           the same, quietly
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
engine="$here/engine"
# shellcheck source=tools/lib/gocache.sh
source "$here/lib/gocache.sh"
cli_version=v3.276.0
kubernetes_plugin_version=4.34.2

say() {
  echo "toolchain: $*" >&2
}

# Bumped when the way a part is built changes, so that the cache is keyed by what is built, not by edits
# to this script's messages.
recipe=1

# The pins: the engine's wrapper modules' go.mod and go.sum (not those of other tools built beside it), the
# recipe, and the Go version that builds them.
cache_key() {
  gocache_key "recipe $recipe $cli_version $kubernetes_plugin_version" \
    "$engine"/{cli,nodejs,kubernetes}/go.{mod,sum}
}

# A complete installation is one whose CLI is not ours and that has every plugin the product loads.
complete_installation() {
  local cli home
  cli=$(command -v pulumi 2>/dev/null) || return 1
  case "$cli" in "$here"/*) return 1 ;; esac
  command -v pulumi-language-nodejs >/dev/null 2>&1 || [ -x "$(dirname "$cli")/pulumi-language-nodejs" ] || return 1
  home="${PULUMI_HOME:-$HOME/.pulumi}"
  for plugin in tls docker kubernetes; do
    compgen -G "$home/plugins/resource-$plugin-v*/pulumi-resource-$plugin" >/dev/null || return 1
  done
  dirname "$cli"
}

build_cli() {
  gocache_build "$engine/cli" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi "$1/pulumi" "about 6 minutes" \
    "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$cli_version"
}

build_language_host() {
  gocache_build "$engine/nodejs" github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs \
    "$1/pulumi-language-nodejs" "under a minute"
}

# The provider's command embeds a schema that its module does not ship: copy the command next to the pinned
# go.mod, generate the embedded files from the shipped schema, then build.
build_kubernetes_plugin() {
  local bin=$1 out="$1/pulumi-resource-kubernetes"
  [ -x "$out" ] && return 0
  local started=$SECONDS work src
  say "building pulumi-resource-kubernetes from the Go module proxy (cold: about 10 minutes, once)"
  work=$(mktemp -d "$bin/../kubernetes-build.XXXXXX")
  src=$(cd "$engine/kubernetes" && go mod download -json github.com/pulumi/pulumi-kubernetes/provider/v4 |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  cp "$engine/kubernetes/go.mod" "$engine/kubernetes/go.sum" "$work/"
  cp "$src"/cmd/pulumi-resource-kubernetes/*.go "$src"/cmd/pulumi-resource-kubernetes/*.json "$work/"
  chmod -R u+w "$work"
  (cd "$work" && VERSION="$kubernetes_plugin_version" go run generate.go)
  (cd "$work" && go build -trimpath -o "$out.tmp" \
    -ldflags "-s -w -X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=$kubernetes_plugin_version" .)
  mv "$out.tmp" "$out"
  rm -rf "$work"
  say "built pulumi-resource-kubernetes in $((SECONDS - started)) s"
}

# The language host (sdk v3.68) takes the project's runtime options as flags, which the CLI (3.276) no
# longer passes: it would ignore `typescript: false` in Pulumi.yaml and load TypeScript and ts-node, whose
# source-map hook rewrites every stack trace the SDK takes (0.6 s of start-up per run, and 5 s of a 200-service
# program). The host moves to libexec/ and a wrapper in its place reads the option from the project file
# (the engine starts the host in the program's directory). Idempotent, and atomic for hosts being started.
wrap_language_host() {
  local bin=$1 real="$1/libexec/pulumi-language-nodejs"
  [ -x "$real" ] && return 0
  gocache_lock "$bin"
  [ -x "$real" ] && return 0
  mkdir -p "$bin/libexec"
  cp "$bin/pulumi-language-nodejs" "$real.tmp" && mv "$real.tmp" "$real"
  cat >"$bin/pulumi-language-nodejs.tmp" <<EOF
#!/usr/bin/env bash
# Written by mesh-pki tools/toolchain.sh: passes Pulumi.yaml's runtime option typescript to the host.
dir=\$PWD
while [ "\$dir" != / ] && [ ! -f "\$dir/Pulumi.yaml" ]; do dir=\$(dirname "\$dir"); done
typescript=\$(node -e '
  const project = process.argv[1];
  const yaml = require(require.resolve("yaml", { paths: [require("path").dirname(project)] }));
  const options = yaml.parse(require("fs").readFileSync(project, "utf8"))?.runtime?.options ?? {};
  process.stdout.write(String(options.typescript !== false));
' "\$dir/Pulumi.yaml" 2>/dev/null) || typescript=true
exec "$real" -typescript="\$typescript" "\$@"
EOF
  chmod +x "$bin/pulumi-language-nodejs.tmp"
  mv "$bin/pulumi-language-nodejs.tmp" "$bin/pulumi-language-nodejs"
}

build_all() {
  local bin
  bin="$(gocache_root)/toolchain-$(cache_key)/bin"
  [ -f "$bin/.complete" ] && { wrap_language_host "$bin"; echo "$bin"; return 0; }
  gocache_require_go "the Pulumi engine (or install a complete Pulumi)"
  gocache_lock "$bin"
  if [ ! -f "$bin/.complete" ]; then
    build_language_host "$bin"
    build_cli "$bin"
    build_kubernetes_plugin "$bin"
    touch "$bin/.complete"
  fi
  wrap_language_host "$bin"
  echo "$bin"
}

main() {
  local cmd=${1:-bin-dir}
  case "$cmd" in
    bin-dir | build)
      local bin
      bin=$(complete_installation) || bin=$(build_all)
      if [ "$cmd" = bin-dir ]; then echo "$bin"; fi
      ;;
    *)
      say "unknown command '$cmd'; use bin-dir or build"
      exit 2
      ;;
  esac
}

main "$@"
