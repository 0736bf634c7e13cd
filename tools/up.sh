#!/usr/bin/env bash
# The main job: `pulumi up` of the `local` stack on the embedded defaults, from a fresh clone.
# Installs the npm packages, finds or builds the engine, creates the stack in the local file backend if it
# does not exist, runs `pulumi up --yes`, and prints a short summary of what the mesh holds.
#
# Usage: npm run up [-- extra pulumi up arguments]
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
stack=${MESH_PKI_STACK:-local}
pulumi="$root/tools/pulumi"

ensure_stack() {
  "$pulumi" stack select --stack "$stack" >/dev/null 2>&1 ||
    "$pulumi" stack init --stack "$stack" --secrets-provider passphrase >/dev/null
}

summary() {
  "$pulumi" stack output --stack "$stack" --json services |
    node -e '
      const services = JSON.parse(require("fs").readFileSync(0, "utf8"));
      for (const [name, s] of Object.entries(services)) {
        console.log(`${name.padEnd(12)} ${s.spiffeId}  not after ${s.notAfter}  sha256 ${s.fingerprintSha256.slice(0, 23)}…`);
      }
      console.log(`${Object.keys(services).length} service identities in stack '"$stack"'; keys: tools/pulumi stack output --stack '"$stack"' serviceKeyPems --show-secrets`);
    '
}

main() {
  cd "$root"
  "$root/tools/install.sh" npm
  "$root/tools/toolchain.sh" build
  ensure_stack
  # The preview is printed before the update, so a deletion is visible in the log; outputs are summarised
  # below instead of printed whole.
  "$pulumi" up --stack "$stack" --yes --suppress-outputs "$@"
  summary
}

main "$@"
