# Shared by the scripts that build Go programs from the Go module proxy into the project's cache
# (tools/toolchain.sh, tools/kube.sh, tools/zlint.sh). Sourced, not run; the caller defines say().

# The cache outside the repository: ${MESH_PKI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mesh-pki}.
gocache_root() {
  echo "${MESH_PKI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mesh-pki}"
}

# gocache_key TEXT FILE...: 16 hex digits over TEXT (a recipe and versions), the Go version and the
# files (the pinned go.mod and go.sum), so a cache directory is keyed by what is built.
gocache_key() {
  local text=$1
  shift
  {
    echo "$text"
    go version
    cat "$@"
  } | sha256sum | cut -c1-16
}

# gocache_require_go WHAT: stops with a message naming what needs Go.
gocache_require_go() {
  command -v go >/dev/null && return 0
  say "Go is needed to build $1 here; install Go 1.26"
  exit 1
}

# gocache_lock BIN_DIR: holds the directory's lock on descriptor 9 until the caller exits, so a second
# caller (another test file, a parallel run) waits for the first one's build instead of repeating it.
gocache_lock() {
  mkdir -p "$1"
  exec 9>"$1/../lock"
  flock 9
}

# gocache_build MODULE_DIR PACKAGE OUT COLD LDFLAGS: builds PACKAGE of the module in MODULE_DIR into OUT
# unless OUT exists, saying so and how long it took; COLD is how long a cold build takes, for the message.
gocache_build() {
  local module=$1 package=$2 out=$3 cold=$4 ldflags=${5:-}
  [ -x "$out" ] && return 0
  local started=$SECONDS
  say "building $(basename "$out") from the Go module proxy (cold: $cold, once per pinned version)"
  (cd "$module" && go build -trimpath -ldflags "-s -w $ldflags" -o "$out.tmp" "$package")
  mv "$out.tmp" "$out"
  say "built $(basename "$out") in $((SECONDS - started)) s"
}
