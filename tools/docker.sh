#!/usr/bin/env bash
# The Docker engine and the images the docker deploy target runs, on a machine that can pull no image.
#
# Usage:
#   tools/docker.sh start         start dockerd (--iptables=false) unless an engine already answers
#   tools/docker.sh stop          stop the dockerd that 'start' started (never one it did not start)
#   tools/docker.sh base-image    mesh-pki/debian-base:bookworm from debootstrap, and mesh-pki/node-base:22-bookworm
#                                 (Node.js 22 from node_modules copied onto it); both cached
#   tools/docker.sh service-image [tag]   build service/Dockerfile onto the node base (default tag
#                                 mesh-pki/reference-service:dev)
#   tools/docker.sh prometheus-image [tag]   build tools/prometheus/Dockerfile onto the Debian base with the
#                                 host's /usr/bin/prometheus (Debian's package) copied in (default tag
#                                 mesh-pki/prometheus:local); cached
#
# The engine is the default socket (/var/run/docker.sock) unless DOCKER_HOST says otherwise.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache="${MESH_PKI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mesh-pki}/docker"
pidfile="$cache/dockerd.pid"
logfile="$cache/dockerd.log"
base_image="mesh-pki/debian-base:bookworm"
node_image="mesh-pki/node-base:22-bookworm"

say() {
  echo "mesh-pki: $*" >&2
}

engine_answers() {
  docker info >/dev/null 2>&1
}

start() {
  mkdir -p "$cache"
  if engine_answers; then
    say "a Docker engine already answers; not starting one"
    return 0
  fi
  command -v dockerd >/dev/null || { say "dockerd is not installed; apt-get install docker.io"; exit 1; }
  say "starting dockerd --iptables=false (log: $logfile)"
  dockerd --iptables=false >"$logfile" 2>&1 &
  echo $! >"$pidfile"
  local i
  for i in $(seq 1 60); do
    engine_answers && { say "dockerd is up (pid $(cat "$pidfile"))"; return 0; }
    kill -0 "$(cat "$pidfile")" 2>/dev/null || break
    sleep 0.5
  done
  say "dockerd did not answer within 30 s; see $logfile"
  tail -n 20 "$logfile" >&2 || true
  exit 1
}

stop() {
  [ -f "$pidfile" ] || { say "no dockerd started by this script is running"; return 0; }
  local pid i
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    say "stopping dockerd (pid $pid)"
    kill "$pid"
    for i in $(seq 1 40); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.5
    done
  fi
  rm -f "$pidfile"
}

debian_mirror() {
  local uri
  uri=$(grep -h '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -v security | head -n1 || true)
  [ -n "$uri" ] || uri=$(grep -h '^deb ' /etc/apt/sources.list 2>/dev/null | awk '{print $2}' | head -n1 || true)
  echo "${uri:-http://deb.debian.org/debian}"
}

base_images() {
  mkdir -p "$cache"
  if ! docker image inspect "$base_image" >/dev/null 2>&1; then
    local tarball="$cache/debian-bookworm-minbase.tar"
    if [ ! -f "$tarball" ]; then
      command -v debootstrap >/dev/null || { say "debootstrap is not installed; apt-get install debootstrap"; exit 1; }
      local dir="$cache/rootfs.$$"
      say "building a Debian bookworm root filesystem with debootstrap from $(debian_mirror) (a few minutes, once)"
      debootstrap --variant=minbase bookworm "$dir" "$(debian_mirror)" >"$cache/debootstrap.log" 2>&1 ||
        { say "debootstrap failed; see $cache/debootstrap.log"; rm -rf "$dir"; exit 1; }
      tar -C "$dir" -cf "$tarball.tmp" .
      mv "$tarball.tmp" "$tarball"
      rm -rf "$dir"
    fi
    say "importing $base_image"
    docker import "$tarball" "$base_image" >/dev/null
  fi

  if ! docker image inspect "$node_image" >/dev/null 2>&1; then
    local ctx
    ctx=$(mktemp -d)
    cp "$(readlink -f "$root/node_modules/.bin/node")" "$ctx/node"
    printf 'FROM %s\nCOPY node /usr/local/bin/node\nCMD ["node"]\n' "$base_image" >"$ctx/Dockerfile"
    say "building $node_image (Node.js $("$ctx/node" --version) from node_modules on $base_image)"
    DOCKER_BUILDKIT=0 docker build -q -t "$node_image" "$ctx" >/dev/null
    rm -rf "$ctx"
  fi
}

service_image() {
  local tag=${1:-mesh-pki/reference-service:dev}
  base_images
  if [ ! -d "$root/service/node_modules/prom-client" ]; then
    say "installing the reference service's dependencies (npm ci in service/)"
    (cd "$root/service" && npm ci --omit=dev --no-audit --no-fund >&2)
  fi
  say "building $tag from service/Dockerfile onto $node_image"
  DOCKER_BUILDKIT=0 docker build -q --build-arg "BASE=$node_image" -t "$tag" "$root/service" >/dev/null
  echo "$tag"
}

prometheus_image() {
  local tag=${1:-mesh-pki/prometheus:local}
  if docker image inspect "$tag" >/dev/null 2>&1; then
    echo "$tag"
    return 0
  fi
  base_images
  local binary=/usr/bin/prometheus binary_image="mesh-pki/prometheus-binary:local" ctx
  [ -x "$binary" ] || { say "$binary is missing; apt-get install prometheus (tools/promtool.sh does)"; exit 1; }
  ctx=$(mktemp -d)
  cp "$binary" "$ctx/prometheus"
  printf 'FROM scratch\nCOPY prometheus /bin/prometheus\n' >"$ctx/Dockerfile"
  DOCKER_BUILDKIT=0 docker build -q -t "$binary_image" "$ctx" >/dev/null
  rm -rf "$ctx"
  say "building $tag from tools/prometheus/Dockerfile ($("$binary" --version 2>&1 | head -n1)) onto $base_image"
  DOCKER_BUILDKIT=0 docker build -q --build-arg "BASE=$base_image" --build-arg "BINARY_FROM=$binary_image" \
    -t "$tag" "$root/tools/prometheus" >/dev/null
  echo "$tag"
}

main() {
  case "${1:-}" in
    start) start ;;
    stop) stop ;;
    base-image) base_images ;;
    service-image) service_image "${2:-}" ;;
    prometheus-image) prometheus_image "${2:-}" ;;
    *)
      say "usage: tools/docker.sh start|stop|base-image|service-image [tag]|prometheus-image [tag]"
      exit 2
      ;;
  esac
}

main "$@"
