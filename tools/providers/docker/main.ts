// Entry point of the mesh-pki stand-in for pulumi-resource-docker. tools/pulumi (and test/support/engine.ts)
// put a `pulumi-resource-docker` script running this file on PATH when no official docker plugin is installed.

import { main } from "@pulumi/pulumi/provider";
import { exitWhenEngineGone } from "../engineWatch";
import { interceptConfigure } from "./configure";
import { configureProvider, dockerProvider, engineAddress, version } from "./provider";

process.stderr.write(
  `mesh-pki: pulumi-resource-docker here is the mesh-pki stand-in for the official docker provider ` +
    `(follows ${version}; engine docker:host when set, else ${engineAddress()}; see tools/providers/docker/README.md)\n`,
);

interceptConfigure(configureProvider);
exitWhenEngineGone(process.argv.slice(2));
main(dockerProvider, process.argv.slice(2)).catch((e: unknown) => {
  process.stderr.write(`mesh-pki docker stand-in failed to start: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
