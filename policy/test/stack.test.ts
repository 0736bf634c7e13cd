import { describe, expect, it } from "vitest";
import { issuerOutlivesLeafPolicy, serviceHasIdentity } from "../stack";
import { caCert, container, deployment, leafCert, meshStack } from "./fixtures";
import {
  advisory,
  mandatory,
  notChecked,
  runStackPolicy,
  UNKNOWN,
  type TestResource,
} from "./harness";

const NOW = new Date("2026-01-01T00:00:00Z");
const issuerOutlivesLeaf = issuerOutlivesLeafPolicy(() => NOW);

function replace(stack: TestResource[], ...changed: TestResource[]): TestResource[] {
  return stack.map((r) => changed.find((c) => c.name === r.name) ?? r);
}

describe("service-has-identity", () => {
  it("passes the known-good mesh", async () => {
    expect(await runStackPolicy(serviceHasIdentity, meshStack())).toEqual([]);
  });

  it.each([
    [
      "a container for a service without a certificate",
      [...meshStack(), container("media")],
      mandatory(
        "service-has-identity",
        "Container 'media-container': service media has no leaf certificate with common name or SAN media; issue it an identity (a key, a request with subject.commonName media and a certificate signed by the mesh CA).",
      ),
    ],
    [
      "a deployment for a service without a certificate",
      [...meshStack(), deployment("search")],
      mandatory(
        "service-has-identity",
        "Deployment 'search-deployment' container 'search': service search has no leaf certificate with common name or SAN search; issue it an identity (a key, a request with subject.commonName search and a certificate signed by the mesh CA).",
      ),
    ],
    ["a container outside the mesh", [...meshStack(), container("x", { envs: ["A=b"] })], []],
    [
      "a service name unknown during preview",
      [...meshStack(), container("media", { envs: [UNKNOWN] })],
      advisory(
        "service-has-identity",
        notChecked("Container 'media-container': the service's identity (SERVICE_NAME is unknown)"),
      ),
    ],
  ])("%s", async (_, stack, expected) => {
    expect(await runStackPolicy(serviceHasIdentity, stack)).toEqual(expected);
  });
});

describe("issuer-outlives-leaf", () => {
  it("passes the known-good mesh", async () => {
    expect(await runStackPolicy(issuerOutlivesLeaf, meshStack())).toEqual([]);
  });

  it.each([
    [
      "a leaf valid longer than its new issuer",
      [caCert("ashchan-ca-cert", { validityPeriodHours: 1000, earlyRenewalHours: 100 })],
      mandatory(
        "issuer-outlives-leaf",
        "LocallySignedCert 'gateway-cert' would expire 2026-04-01T00:00:00.000Z if issued now, after its issuer SelfSignedCert 'ashchan-ca-cert' (would expire 2026-02-11T16:00:00.000Z if issued now); shorten the certificate's validityPeriodHours by at least 1160 h (49 days) or renew the issuer first.",
      ),
    ],
    [
      "an existing issuer that expires before a new leaf would",
      [caCert("ashchan-ca-cert", { validityEndTime: "2026-02-01T00:00:00Z" })],
      mandatory(
        "issuer-outlives-leaf",
        "LocallySignedCert 'gateway-cert' would expire 2026-04-01T00:00:00.000Z if issued now, after its issuer SelfSignedCert 'ashchan-ca-cert' (expires 2026-02-01T00:00:00.000Z); shorten the certificate's validityPeriodHours by at least 1416 h (59 days) or renew the issuer first.",
      ),
    ],
    [
      "actual end times in order, whatever the hours say",
      [
        caCert("ashchan-ca-cert", {
          validityPeriodHours: 10,
          validityEndTime: "2030-01-01T00:00:00Z",
        }),
        leafCert("gateway", { validityEndTime: "2026-03-01T00:00:00Z" }),
      ],
      [],
    ],
    [
      "a leaf validity unknown during preview",
      [leafCert("gateway", { validityPeriodHours: UNKNOWN })],
      advisory(
        "issuer-outlives-leaf",
        notChecked(
          "LocallySignedCert 'gateway-cert': whether its issuer outlives it (validityPeriodHours is unknown)",
        ),
      ),
    ],
  ])("%s", async (_, changed, expected) => {
    const stack = replace(meshStack(["gateway"]), ...changed);
    expect(await runStackPolicy(issuerOutlivesLeaf, stack)).toEqual(expected);
  });
});
