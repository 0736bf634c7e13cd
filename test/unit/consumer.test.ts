import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { MeshPkiReference, checkOutput, pickService } from "../../components/consumer";
import {
  ServiceOutput,
  serviceKeyPemsOutputSchema,
  servicesOutputSchema,
} from "../../components/outputContract";
import { MockHarness, installMocks, valueOf } from "./mocks";

const gateway: ServiceOutput = {
  certPem: "-----BEGIN CERTIFICATE-----\nGW\n-----END CERTIFICATE-----\n",
  chainPem: "-----BEGIN CERTIFICATE-----\nGW\n-----END CERTIFICATE-----\n",
  spiffeId: "spiffe://ashchan.local/service/gateway",
  dnsNames: ["gateway", "localhost", "gateway.ashchan.local"],
  ipAddresses: [],
  serialNumber: "0A",
  fingerprintSha256: "AA:BB",
  spkiPinSha256: "pin=",
  notBefore: "2026-01-01T00:00:00.000Z",
  notAfter: "2027-01-01T00:00:00.000Z",
};

let mocks: MockHarness;
beforeAll(async () => {
  mocks = await installMocks({
    stackOutputs: {
      "organization/mesh-pki/local": {
        outputs: {
          trustBundlePem: "ROOT",
          issuerCertPem: "ISSUER",
          services: { gateway },
          serviceKeyPems: { gateway: "GATEWAY KEY" },
        },
        secretOutputNames: ["serviceKeyPems"],
      },
    },
  });
});

describe("MeshPkiReference", () => {
  it("reads one StackReference to the named stack", async () => {
    const ref = new MeshPkiReference("mesh-a", { stack: "organization/mesh-pki/local" });
    await valueOf(ref.trustBundlePem);

    expect(mocks.resources.filter((r) => r.name === "mesh-a")).toEqual([
      {
        type: "pulumi:pulumi:StackReference",
        name: "mesh-a",
        parent: "",
        inputs: { name: "organization/mesh-pki/local" },
      },
    ]);
  });

  it("gives the bundle and the services plain, the key secret", async () => {
    const ref = new MeshPkiReference("mesh-b", { stack: "organization/mesh-pki/local" });

    expect(await valueOf(ref.trustBundlePem)).toBe("ROOT");
    expect(await pulumi.isSecret(ref.trustBundlePem)).toBe(false);
    expect(await valueOf(ref.issuerCertPem)).toBe("ISSUER");
    expect(await valueOf(ref.service("gateway"))).toEqual(gateway);
    expect(await pulumi.isSecret(ref.service("gateway"))).toBe(false);
    expect(await valueOf(ref.serviceKeyPem("gateway"))).toBe("GATEWAY KEY");
    expect(await pulumi.isSecret(ref.serviceKeyPem("gateway"))).toBe(true);
  });
});

describe("consumer checks", () => {
  it("pickService names the known services when asked for another", () => {
    expect(pickService("org/mesh-pki/local", { gateway }, "gateway")).toBe(gateway);
    expect(() => pickService("org/mesh-pki/local", { gateway, auth: gateway }, "payments")).toThrow(
      'stack org/mesh-pki/local has no service "payments"; its services are: gateway, auth',
    );
  });

  it.each([
    [
      "trustBundlePem",
      z.string(),
      42,
      /output "trustBundlePem" does not have the shape.*expected string/,
    ],
    [
      "services",
      servicesOutputSchema,
      { gateway: { certPem: "x" } },
      /output "services".*\(gateway\.chainPem: /,
    ],
    [
      "services",
      servicesOutputSchema,
      { gateway: { ...gateway, dnsNames: "gateway" } },
      /gateway\.dnsNames: /,
    ],
    ["serviceKeyPems", serviceKeyPemsOutputSchema, ["key"], /output "serviceKeyPems"/],
  ])("checkOutput refuses a bad %s", (output, schema, value, message) => {
    expect(() =>
      checkOutput("org/mesh-pki/broken", output, schema as z.ZodType<unknown>, value),
    ).toThrow(message);
  });

  it("checkOutput passes a good value through", () => {
    expect(checkOutput("s", "services", servicesOutputSchema, { gateway })).toEqual({ gateway });
  });
});
