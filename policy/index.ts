/**
 * The mesh-pki CrossGuard policy pack. The policies live in their modules (see policies.ts); this file
 * only serves them, so tests can import the policies without starting a policy server.
 */
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies";

// PolicyPack reads its version from package.json in the working directory, and the engine may start
// the pack from anywhere (tools/pulumi starts it through an executable beside PulumiPolicy.yaml).
process.chdir(__dirname.endsWith("dist") ? `${__dirname}/..` : __dirname);

new PolicyPack("mesh-pki", {
  description:
    "Enforces the mesh's TLS policy: keys, validity, usages, SANs, TLS profile, deployments.",
  enforcementLevel: "mandatory",
  policies,
});
