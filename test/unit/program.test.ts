import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { REFERENCE_SERVICES } from "../../components/config";
import { MockHarness, fixturePem, installMocks, mockKeyPem, settle, valueOf } from "./mocks";

// The stack program as the engine runs it: config in, exports out. One import per file, since the
// program runs when its module loads.
let mocks: MockHarness;
let program: typeof import("../../index");

beforeAll(async () => {
  mocks = await installMocks();
  pulumi.runtime.setAllConfig({ "mesh-pki:issuer": '{"mode":"intermediate"}' });
  program = await import("../../index");
  await settle(program.services, program.serviceKeyPems);
});

describe("index.ts", () => {
  it("leaves stack traces to V8's own formatting", () => {
    // The SDK formats a stack trace of unlimited depth for every resource; through the source-map hook it
    // installs, that was 5.4 s of a 200-service program's 19 s of CPU (bench/README.md).
    expect(Error.prepareStackTrace).toBeUndefined();
  });

  it("declares the mesh, its alert rules and the files deploy target from stack config", () => {
    // PKI: mesh, root CA and intermediate (3 each with the mesh), 6 services of 4; alerts: 1;
    // files: the component, the bundle, the alert rules and one file set per service.
    expect(mocks.resources).toHaveLength(8 + 6 * 4 + 1 + 3 + 6);
    expect(mocks.resources.filter((r) => r.parent === "").map((r) => r.name)).toEqual([
      "mesh",
      "mesh-alerts",
      "mesh-files",
    ]);
    const fileSets = mocks.resources.filter(
      (r) => r.type === "pulumi-nodejs:dynamic/mesh-pki:FileSet",
    );
    expect(fileSets.map((r) => r.name).sort()).toEqual(
      [
        "mesh-files-alert-rules",
        "mesh-files-ca",
        ...REFERENCE_SERVICES.map((s) => `mesh-files-${s}`),
      ].sort(),
    );
  });

  it("exports the four outputs, public ones plain and keys secret", async () => {
    expect(Object.keys(program).sort()).toEqual(
      [
        "alertRulesYaml",
        "certificateDirectory",
        "issuerCertPem",
        "rotation",
        "serviceKeyPems",
        "services",
        "trustBundlePem",
      ].sort(),
    );
    expect(await pulumi.isSecret(program.trustBundlePem)).toBe(false);
    expect(await pulumi.isSecret(program.issuerCertPem)).toBe(false);
    expect(await pulumi.isSecret(program.services)).toBe(false);
    expect(await pulumi.isSecret(program.serviceKeyPems)).toBe(true);

    expect(await valueOf(program.trustBundlePem)).toBe(fixturePem("root-p384"));
    expect(await valueOf(program.issuerCertPem)).toBe(fixturePem("issuer-ed25519"));
    expect(Object.keys(await valueOf(program.services))).toEqual([...REFERENCE_SERVICES]);
    expect(await valueOf(program.serviceKeyPems)).toEqual(
      Object.fromEntries(REFERENCE_SERVICES.map((s) => [s, mockKeyPem(`mesh-${s}-key`)])),
    );
  });

  it("never puts key material in the public services output", async () => {
    const text = JSON.stringify(await valueOf(program.services));
    expect(text).not.toMatch(/PRIVATE KEY/);
    for (const s of REFERENCE_SERVICES) {
      expect(Object.keys((await valueOf(program.services))[s]).sort()).toEqual(
        [
          "certPem",
          "chainPem",
          "dnsNames",
          "fingerprintSha256",
          "ipAddresses",
          "notAfter",
          "notBefore",
          "serialNumber",
          "spiffeId",
          "spkiPinSha256",
        ].sort(),
      );
    }
  });
});
