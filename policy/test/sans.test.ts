import { describe, expect, it } from "vitest";
import { leafSans, sanNames, uniqueServiceSans } from "../sans";
import { caCert, key, meshStack, request } from "./fixtures";
import {
  advisory,
  mandatory,
  notChecked,
  runResourcePolicy,
  runStackPolicy,
  UNKNOWN,
} from "./harness";

const csr = "CertRequest 'gateway-csr'";
const leaf = "LocallySignedCert 'gateway-cert'";

describe("san-names", () => {
  it.each([
    ["the service's names", {}, []],
    [
      "a wildcard",
      { dnsNames: ["gateway", "*.ashchan.local"] },
      mandatory(
        "san-names",
        `${csr}: wildcard SAN *.ashchan.local would let any matching host pose as this service; list the exact DNS names in dnsNames instead.`,
      ),
    ],
    [
      "an invalid name",
      { dnsNames: ["gateway", "Gateway_1.local"] },
      mandatory(
        "san-names",
        `${csr}: SAN Gateway_1.local is not a valid DNS name; use lower-case labels of letters, digits and inner hyphens, separated by dots.`,
      ),
    ],
    [
      "a name unknown during preview",
      { dnsNames: ["gateway", UNKNOWN] },
      advisory("san-names", notChecked(`${csr}: the SAN names (dnsNames is unknown)`)),
    ],
  ])("%s", async (_, change, expected) => {
    expect(await runResourcePolicy(sanNames, request("gateway", change))).toEqual(expected);
  });

  it("checks self-signed certificates too", async () => {
    const cert = caCert("ashchan-ca-cert", { dnsNames: ["*"] });
    expect(await runResourcePolicy(sanNames, cert)).toEqual(
      mandatory(
        "san-names",
        "SelfSignedCert 'ashchan-ca-cert': wildcard SAN * would let any matching host pose as this service; list the exact DNS names in dnsNames instead.",
      ),
    );
  });
});

function withRequest(change: Record<string, unknown>, service = "gateway") {
  return meshStack().map((r) => (r.name === `${service}-csr` ? request(service, change) : r));
}

describe("leaf-sans", () => {
  it.each([
    ["the known-good mesh", {}, []],
    [
      "a leaf without SANs",
      { dnsNames: undefined, ipAddresses: undefined, uris: undefined },
      mandatory(
        "leaf-sans",
        `${leaf} (from ${csr}): a leaf certificate has no SANs and TLS clients ignore the common name; set dnsNames to the service name and its DNS names.`,
      ),
    ],
    [
      "the service name missing from the SANs",
      { dnsNames: ["localhost", "gateway.ashchan.local"] },
      mandatory(
        "leaf-sans",
        `${leaf} (from ${csr}): the service name gateway (subject common name) is not among the SANs; add it to dnsNames.`,
      ),
    ],
    [
      "no common name",
      { subject: { organization: "ashchan" } },
      mandatory(
        "leaf-sans",
        `${leaf} (from ${csr}): a leaf certificate has no subject common name; set subject.commonName to the service name.`,
      ),
    ],
    [
      "SANs unknown during preview",
      { dnsNames: UNKNOWN },
      advisory("leaf-sans", notChecked(`${csr}: the leaf SANs (dnsNames is unknown)`)),
    ],
  ])("%s", async (_, change, expected) => {
    expect(await runStackPolicy(leafSans, withRequest(change))).toEqual(expected);
  });

  it("does not ask a CA for SANs", async () => {
    expect(await runStackPolicy(leafSans, [key("ashchan-ca-key"), caCert()])).toEqual([]);
  });
});

describe("unique-service-sans", () => {
  it("passes the known-good mesh, where every service carries localhost and 127.0.0.1", async () => {
    expect(await runStackPolicy(uniqueServiceSans, meshStack())).toEqual([]);
  });

  it.each([
    [
      "a DNS name claimed by two services",
      { dnsNames: ["auth", "localhost", "auth.ashchan.local", "gateway.ashchan.local"] },
      mandatory(
        "unique-service-sans",
        "SAN gateway.ashchan.local is shared by LocallySignedCert 'gateway-cert' (gateway), LocallySignedCert 'auth-cert' (auth); each service's SANs must be its own, so remove gateway.ashchan.local from all but one of them.",
      ),
    ],
    [
      "a SPIFFE ID claimed by two services",
      { uris: ["spiffe://ashchan.local/service/gateway"] },
      mandatory(
        "unique-service-sans",
        "SAN spiffe://ashchan.local/service/gateway is shared by LocallySignedCert 'gateway-cert' (gateway), LocallySignedCert 'auth-cert' (auth); each service's SANs must be its own, so remove spiffe://ashchan.local/service/gateway from all but one of them.",
      ),
    ],
  ])("refuses %s", async (_, change, expected) => {
    expect(await runStackPolicy(uniqueServiceSans, withRequest(change, "auth"))).toEqual(expected);
  });

  it("takes the shared SANs from config", async () => {
    const violations = await runStackPolicy(uniqueServiceSans, meshStack(), { sharedSans: [] });
    expect(violations.map((v) => v.message.split(" is shared")[0])).toEqual([
      "SAN localhost",
      "SAN 127.0.0.1",
    ]);
  });
});
