// Entry point of the mesh-pki stand-in for pulumi-resource-tls. tools/pulumi (and test/support/engine.ts)
// put a `pulumi-resource-tls` script running this file on PATH when no official tls plugin is installed.

import { installReflectMetadata } from "./reflect-metadata";

installReflectMetadata();

// Loaded after the polyfill: @peculiar/x509 needs the Reflect metadata API as it loads.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { tlsProvider, version } = require("./provider") as typeof import("./provider");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { main } = require("@pulumi/pulumi/provider") as typeof import("@pulumi/pulumi/provider");

process.stderr.write(
  `mesh-pki: pulumi-resource-tls here is the mesh-pki stand-in for the official tls provider ` +
    `(follows ${version}; see tools/providers/tls/README.md)\n`,
);

main(tlsProvider, process.argv.slice(2)).catch((e: unknown) => {
  process.stderr.write(`mesh-pki tls stand-in failed to start: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
