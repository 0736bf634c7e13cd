// Entry point of the mesh-pki stand-in for pulumi-resource-tls. tools/pulumi (and test/support/engine.ts)
// put a `pulumi-resource-tls` script running this file on PATH when no official tls plugin is installed.

// @peculiar/x509 resolves its algorithms through tsyringe, which needs the Reflect metadata API loaded first.
import "reflect-metadata";
import { main } from "@pulumi/pulumi/provider";
import { exitWhenEngineGone } from "../engineWatch";
import { tlsProvider, version } from "./provider";

process.stderr.write(
  `mesh-pki: pulumi-resource-tls here is the mesh-pki stand-in for the official tls provider ` +
    `(follows ${version}; see tools/providers/tls/README.md)\n`,
);

exitWhenEngineGone(process.argv.slice(2));
main(tlsProvider, process.argv.slice(2)).catch((e: unknown) => {
  process.stderr.write(`mesh-pki tls stand-in failed to start: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
