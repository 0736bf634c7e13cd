// Conformance of the tls resources' life through the real engine: no change when nothing changes, a
// replacement for an input change (of that resource and what depends on it, nothing else), the in-place
// change of earlyRenewalHours, the replacement a certificate plans by itself once its early-renewal window
// has begun (decided at plan time, no refresh, the key left alone), and the refusal of bad input.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EngineSession, PlannedStep, TestStack } from "../../support/engine";
import { readOutputs, ref, ResourceSpec, scenarioStack, setScenario } from "./scenario";

interface Knobs {
  leafCurve: string;
  leafHours: number;
  leafEarly: number;
  shortEarly: number;
}

function scenario(k: Knobs): ResourceSpec[] {
  return [
    { name: "ca-key", kind: "PrivateKey", args: { algorithm: "ECDSA", ecdsaCurve: "P256" } },
    {
      name: "ca",
      kind: "SelfSignedCert",
      args: {
        privateKeyPem: ref("ca-key.privateKeyPem"),
        validityPeriodHours: 87600,
        allowedUses: ["cert_signing", "crl_signing"],
        isCaCertificate: true,
        subject: { commonName: "lifecycle root" },
      },
    },
    { name: "leaf-key", kind: "PrivateKey", args: { algorithm: "ECDSA", ecdsaCurve: k.leafCurve } },
    {
      name: "csr",
      kind: "CertRequest",
      args: {
        privateKeyPem: ref("leaf-key.privateKeyPem"),
        subject: { commonName: "auth" },
        dnsNames: ["auth"],
      },
    },
    {
      name: "leaf",
      kind: "LocallySignedCert",
      args: {
        certRequestPem: ref("csr.certRequestPem"),
        caPrivateKeyPem: ref("ca-key.privateKeyPem"),
        caCertPem: ref("ca.certPem"),
        validityPeriodHours: k.leafHours,
        earlyRenewalHours: k.leafEarly,
        allowedUses: ["digital_signature", "server_auth", "client_auth"],
      },
    },
    {
      name: "short",
      kind: "SelfSignedCert",
      args: {
        privateKeyPem: ref("leaf-key.privateKeyPem"),
        validityPeriodHours: 2,
        earlyRenewalHours: k.shortEarly,
        allowedUses: ["server_auth"],
        dnsNames: ["short"],
      },
    },
  ];
}

const knobs: Knobs = { leafCurve: "P256", leafHours: 100, leafEarly: 10, shortEarly: 0 };

let session: EngineSession;
let stack: TestStack;

beforeAll(async () => {
  session = await EngineSession.start("tls-lifecycle");
  stack = await scenarioStack(session, "tls-lifecycle", scenario(knobs));
  await stack.up();
});

afterAll(async () => {
  await session?.cleanup();
});

async function change(update: Partial<Knobs>) {
  Object.assign(knobs, update);
  await setScenario(stack, scenario(knobs));
}

function byName(steps: readonly PlannedStep[]): Record<string, PlannedStep> {
  // A replacement shows as several steps (create-replacement, replace, delete-replaced); keep "replace".
  const result: Record<string, PlannedStep> = {};
  for (const step of steps) {
    if (!result[step.name] || step.op === "replace") result[step.name] = step;
  }
  return result;
}

function ops(steps: readonly PlannedStep[]): Record<string, string> {
  return Object.fromEntries(Object.values(byName(steps)).map((s) => [s.name, s.op]));
}

async function values() {
  return (await readOutputs(stack)).values;
}

describe("tls resource lifecycle", () => {
  it("plans no change when nothing changed, and a second up changes nothing", async () => {
    const before = await values();

    const preview = await stack.preview();
    expect(ops(preview.steps)).toEqual({
      "ca-key": "same",
      ca: "same",
      "leaf-key": "same",
      csr: "same",
      leaf: "same",
      short: "same",
    });

    await stack.up();
    expect(await values()).toEqual(before);
  });

  it("replaces a certificate whose input changed, and nothing else", async () => {
    const before = await values();
    await change({ leafHours: 200 });

    const preview = byName((await stack.preview()).steps);
    expect(preview.leaf!.op).toBe("replace");
    expect(preview.leaf!.replaceKeys).toEqual(["validityPeriodHours"]);
    for (const name of ["ca-key", "ca", "leaf-key", "csr", "short"]) {
      expect(preview[name]!.op, name).toBe("same");
    }

    await stack.up();
    const after = await values();
    expect(after.leaf_certPem).not.toBe(before.leaf_certPem);
    expect(after.leaf_validityPeriodHours).toBe(200);
    expect(after["leaf-key_publicKeyPem"]).toBe(before["leaf-key_publicKeyPem"]);
    expect(after.csr_certRequestPem).toBe(before.csr_certRequestPem);
  });

  it("replaces a key whose curve changed, and the request and certificates made from it", async () => {
    const before = await values();
    await change({ leafCurve: "P384" });

    const preview = byName((await stack.preview()).steps);
    expect(preview["leaf-key"]!.op).toBe("replace");
    expect(preview["leaf-key"]!.replaceKeys).toEqual(["ecdsaCurve"]);
    expect(preview.csr!.op).toBe("replace");
    expect(preview.leaf!.op).toBe("replace");
    expect(preview.short!.op).toBe("replace");
    expect(preview["ca-key"]!.op).toBe("same");
    expect(preview.ca!.op).toBe("same");

    await stack.up();
    const after = await values();
    expect(after["leaf-key_ecdsaCurve"]).toBe("P384");
    expect(after["leaf-key_publicKeyPem"]).not.toBe(before["leaf-key_publicKeyPem"]);
    expect(after.ca_certPem).toBe(before.ca_certPem);
  });

  it("changes earlyRenewalHours in place, without reissuing the certificate", async () => {
    const before = await values();
    await change({ leafEarly: 20 });

    const preview = byName((await stack.preview()).steps);
    expect(preview.leaf!.op).toBe("update");
    expect(preview.leaf!.replaceKeys).toEqual([]);

    await stack.up();
    const after = await values();
    expect(after.leaf_earlyRenewalHours).toBe(20);
    expect(after.leaf_certPem).toBe(before.leaf_certPem);
    expect(after.leaf_id).toBe(before.leaf_id);
    expect(after.leaf_readyForRenewal).toBe(false);
  });

  it("plans the replacement of a certificate whose early-renewal window has begun, not of its key", async () => {
    const before = await values();
    // Two hours of validity, renewed two hours early: the window begins when the certificate does.
    await change({ shortEarly: 2 });

    const first = byName((await stack.preview()).steps);
    expect(first.short!.op).toBe("replace");
    expect(first.short!.replaceKeys).toContain("readyForRenewal");
    expect(first["leaf-key"]!.op).toBe("same");

    await stack.up();
    const after = await values();
    expect(after.short_certPem).not.toBe(before.short_certPem);
    expect(after.short_readyForRenewal).toBe(true);
    expect(after["leaf-key_publicKeyPem"]).toBe(before["leaf-key_publicKeyPem"]);

    // Nothing in the program changes now; the provider's clock alone plans the renewal, with no refresh.
    const second = byName((await stack.preview()).steps);
    expect(second.short!.op).toBe("replace");
    expect(second.short!.replaceKeys).toEqual(["readyForRenewal"]);
    for (const name of ["ca-key", "ca", "leaf-key", "csr", "leaf"]) {
      expect(second[name]!.op, name).toBe("same");
    }
  });
});

describe("tls input validation", () => {
  let refusals: TestStack;

  beforeAll(async () => {
    refusals = await scenarioStack(session, "tls-refusals", [
      { name: "key", kind: "PrivateKey", args: { algorithm: "ECDSA", ecdsaCurve: "P256" } },
    ]);
    await refusals.up();
  });

  const key = {
    name: "key",
    kind: "PrivateKey",
    args: { algorithm: "ECDSA", ecdsaCurve: "P256" },
  } as const;

  it.each([
    [
      "an unknown allowedUses value",
      {
        name: "bad-uses",
        kind: "SelfSignedCert",
        args: {
          privateKeyPem: ref("key.privateKeyPem"),
          validityPeriodHours: 1,
          allowedUses: ["server_auth", "bogus_use"],
        },
      },
      /must be one of/,
    ],
    [
      "an unknown curve",
      { name: "bad-curve", kind: "PrivateKey", args: { algorithm: "ECDSA", ecdsaCurve: "P999" } },
      /must be one of/,
    ],
    [
      "an unknown algorithm",
      { name: "bad-alg", kind: "PrivateKey", args: { algorithm: "DSA" } },
      /must be one of/,
    ],
  ] as const)("refuses %s", async (_what, spec, message) => {
    await setScenario(refusals, [key, spec as ResourceSpec]);
    await expect(refusals.up()).rejects.toThrow(message);
  });

  it("refuses write-only key inputs it does not implement (stand-in only)", async (ctx) => {
    if (!session.environment.tlsIsStandIn) ctx.skip();
    await setScenario(refusals, [
      key,
      {
        name: "write-only",
        kind: "SelfSignedCert",
        args: {
          privateKeyPemWo: ref("key.privateKeyPem"),
          privateKeyPemWoVersion: 1,
          validityPeriodHours: 1,
          allowedUses: ["server_auth"],
        },
      },
    ]);
    await expect(refusals.up()).rejects.toThrow(
      /privateKeyPemWo is refused: write-only private keys are not implemented/,
    );
  });

  it("refuses an input that is not one of the official inputs (stand-in only)", async (ctx) => {
    if (!session.environment.tlsIsStandIn) ctx.skip();
    await setScenario(refusals, [
      key,
      {
        name: "unknown-input",
        kind: "raw:tls:index/privateKey:PrivateKey",
        args: { algorithm: "RSA", rsaBitz: 4096 },
      },
    ]);
    await expect(refusals.up()).rejects.toThrow(
      /'rsaBitz' is not an input of tls:index\/privateKey:PrivateKey/,
    );
  });
});
