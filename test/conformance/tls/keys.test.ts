// Conformance of tls:index/privateKey:PrivateKey through the real engine: every key algorithm, the
// defaults, the encodings of each output, and key material kept secret in state.

import * as crypto from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EngineSession, TestStack } from "../../support/engine";
import { readOutputs, ResourceSpec, scenarioStack, sshFingerprints, pemLabel } from "./scenario";

interface KeyCase {
  readonly name: string;
  readonly args: Record<string, unknown>;
  readonly algorithm: string;
  readonly ecdsaCurve: string;
  readonly rsaBits: number;
  readonly pemLabel: string;
  /** Node's view of the key. */
  readonly nodeType: string;
  readonly detail: Record<string, unknown>;
  /** The authorized_keys type, or "" where SSH has no encoding (P-224). */
  readonly sshType: string;
}

const cases: readonly KeyCase[] = [
  {
    name: "rsa-default",
    args: { algorithm: "RSA" },
    algorithm: "RSA",
    ecdsaCurve: "P224",
    rsaBits: 2048,
    pemLabel: "RSA PRIVATE KEY",
    nodeType: "rsa",
    detail: { modulusLength: 2048 },
    sshType: "ssh-rsa",
  },
  {
    name: "rsa-3072",
    args: { algorithm: "RSA", rsaBits: 3072 },
    algorithm: "RSA",
    ecdsaCurve: "P224",
    rsaBits: 3072,
    pemLabel: "RSA PRIVATE KEY",
    nodeType: "rsa",
    detail: { modulusLength: 3072 },
    sshType: "ssh-rsa",
  },
  {
    name: "ecdsa-default",
    args: { algorithm: "ECDSA" },
    algorithm: "ECDSA",
    ecdsaCurve: "P224",
    rsaBits: 2048,
    pemLabel: "EC PRIVATE KEY",
    nodeType: "ec",
    detail: { namedCurve: "secp224r1" },
    sshType: "",
  },
  ...(
    [
      ["P256", "prime256v1", "ecdsa-sha2-nistp256"],
      ["P384", "secp384r1", "ecdsa-sha2-nistp384"],
      ["P521", "secp521r1", "ecdsa-sha2-nistp521"],
    ] as const
  ).map(([curve, openssl, ssh]) => ({
    name: `ecdsa-${curve.toLowerCase()}`,
    args: { algorithm: "ECDSA", ecdsaCurve: curve },
    algorithm: "ECDSA",
    ecdsaCurve: curve,
    rsaBits: 2048,
    pemLabel: "EC PRIVATE KEY",
    nodeType: "ec",
    detail: { namedCurve: openssl },
    sshType: ssh,
  })),
  {
    name: "ed25519",
    args: { algorithm: "ED25519" },
    algorithm: "ED25519",
    ecdsaCurve: "P224",
    rsaBits: 2048,
    pemLabel: "PRIVATE KEY",
    nodeType: "ed25519",
    detail: {},
    sshType: "ssh-ed25519",
  },
];

const resources: ResourceSpec[] = cases.map((c) => ({
  name: c.name,
  kind: "PrivateKey",
  args: c.args,
}));

let session: EngineSession;
let stack: TestStack;
let outputs: Awaited<ReturnType<typeof readOutputs>>;

beforeAll(async () => {
  session = await EngineSession.start("tls-keys");
  stack = await scenarioStack(session, "tls-keys", resources);
  await stack.up();
  outputs = await readOutputs(stack);
});

afterAll(async () => {
  await session?.cleanup();
});

describe("tls PrivateKey", () => {
  it.each(cases)("$name: defaults and algorithm in state", (c) => {
    const out = (key: string) => outputs.values[`${c.name}_${key}`];

    expect(out("algorithm")).toBe(c.algorithm);
    expect(out("ecdsaCurve")).toBe(c.ecdsaCurve);
    expect(out("rsaBits")).toBe(c.rsaBits);
  });

  it.each(cases)("$name: private key encodings", (c) => {
    const out = (key: string) => outputs.values[`${c.name}_${key}`] as string;

    expect(pemLabel(out("privateKeyPem"))).toBe(c.pemLabel);
    expect(out("privateKeyPem").endsWith("-----\n")).toBe(true);
    expect(pemLabel(out("privateKeyPemPkcs8"))).toBe("PRIVATE KEY");

    const key = crypto.createPrivateKey(out("privateKeyPem"));
    const pkcs8 = crypto.createPrivateKey(out("privateKeyPemPkcs8"));
    expect(key.asymmetricKeyType).toBe(c.nodeType);
    expect(key.asymmetricKeyDetails).toMatchObject(c.detail);
    expect(pkcs8.export({ format: "der", type: "pkcs8" })).toEqual(
      key.export({ format: "der", type: "pkcs8" }),
    );
  });

  it.each(cases)("$name: public key, id and OpenSSH encodings", (c) => {
    const out = (key: string) => outputs.values[`${c.name}_${key}`] as string;
    const key = crypto.createPrivateKey(out("privateKeyPem"));
    const spki = crypto.createPublicKey(key).export({ format: "der", type: "spki" });

    expect(pemLabel(out("publicKeyPem"))).toBe("PUBLIC KEY");
    expect(
      crypto.createPublicKey(out("publicKeyPem")).export({ format: "der", type: "spki" }),
    ).toEqual(spki);
    // Upstream: the id is the hex SHA-1 of the DER public key (after Go's TrimSpace).
    expect(out("id")).toMatch(/^[0-9a-f]{40}$/);

    if (c.sshType === "") {
      expect(out("publicKeyOpenssh")).toBe("");
      expect(out("publicKeyFingerprintMd5")).toBe("");
      expect(out("publicKeyFingerprintSha256")).toBe("");
      expect(out("privateKeyOpenssh")).toBe("");
      return;
    }
    expect(out("publicKeyOpenssh")).toMatch(new RegExp(`^${c.sshType} [A-Za-z0-9+/]+=*\\n$`));
    const fingerprints = sshFingerprints(out("publicKeyOpenssh"));
    expect(out("publicKeyFingerprintMd5")).toBe(fingerprints.md5);
    expect(out("publicKeyFingerprintSha256")).toBe(fingerprints.sha256);
    expect(pemLabel(out("privateKeyOpenssh"))).toBe("OPENSSH PRIVATE KEY");
  });

  it("keeps every private key output secret, in outputs and in state", async () => {
    for (const c of cases) {
      for (const key of ["privateKeyPem", "privateKeyPemPkcs8", "privateKeyOpenssh"]) {
        expect(outputs.secrets.has(`${c.name}_${key}`), `${c.name}_${key}`).toBe(true);
      }
      for (const key of ["publicKeyPem", "publicKeyOpenssh", "id"]) {
        expect(outputs.secrets.has(`${c.name}_${key}`), `${c.name}_${key}`).toBe(false);
      }
    }

    const state = JSON.stringify(await stack.exportState());
    expect(state).not.toContain("PRIVATE KEY");
    expect(state).toContain("BEGIN PUBLIC KEY");
    const resourcesInState = await stack.resources();
    expect(resourcesInState.map((r) => r.type)).toEqual(
      cases.map(() => "tls:index/privateKey:PrivateKey"),
    );
    for (const r of resourcesInState) {
      const outs = r.outputs as Record<string, unknown>;
      for (const key of ["privateKeyPem", "privateKeyPemPkcs8", "privateKeyOpenssh"]) {
        expect(outs[key]).toMatchObject({
          "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
        });
      }
    }
  });
});
