#!/usr/bin/env bash
# Installs what the project runs on: its npm packages (Node.js 22 among them, from the npm registry's `node`
# package, since the machine's may be older) and, when asked, Debian packages for the tests.
#
# Usage: tools/install.sh [npm | debian PACKAGE...]
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

say() {
  echo "install: $*" >&2
}

# npm ci only when the lock file changed since the last install: a warm run costs a file comparison.
install_npm_dir() {
  local dir=$1
  if [ -f "$dir/node_modules/.package-lock.json" ] && [ "$dir/node_modules/.package-lock.json" -nt "$dir/package-lock.json" ]; then
    return 0
  fi
  say "npm ci in ${dir#"$root"/} (first run: about a minute)"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >&2)
}

install_npm() {
  install_npm_dir "$root"
  [ -f "$root/policy/package-lock.json" ] && install_npm_dir "$root/policy"
  return 0
}

install_debian() {
  local missing=()
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" || missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "apt-get install ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

main() {
  local what=${1:-npm}
  shift || true
  case "$what" in
    npm) install_npm ;;
    debian) install_debian "$@" ;;
    *)
      say "unknown target '$what'; use npm or debian"
      exit 2
      ;;
  esac
}

main "$@"
