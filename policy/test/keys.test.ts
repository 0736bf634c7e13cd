import { describe, expect, it } from "vitest";
import { keyAlgorithm } from "../keys";
import { key } from "./fixtures";
import { mandatory, notChecked, runResourcePolicy, UNKNOWN, type Violation } from "./harness";

const label = "PrivateKey 'gateway-key'";

describe("key-algorithm", () => {
  it.each([
    ["ECDSA P256", {}],
    ["ECDSA P384", { ecdsaCurve: "P384" }],
    ["RSA 3072", { algorithm: "RSA", ecdsaCurve: undefined, rsaBits: 3072 }],
    ["RSA 4096", { algorithm: "RSA", ecdsaCurve: undefined, rsaBits: 4096 }],
    ["Ed25519", { algorithm: "ED25519", ecdsaCurve: undefined }],
  ])("accepts %s", async (_, change) => {
    expect(await runResourcePolicy(keyAlgorithm, key("gateway-key", change))).toEqual([]);
  });

  it.each<[string, Record<string, unknown>, Violation[]]>([
    [
      "P224",
      { ecdsaCurve: "P224" },
      mandatory(
        "key-algorithm",
        `${label}: ECDSA curve P224 is refused by common TLS peers; use P256 or P384.`,
      ),
    ],
    [
      "P521",
      { ecdsaCurve: "P521" },
      mandatory(
        "key-algorithm",
        `${label}: ECDSA curve P521 is refused by common TLS peers; use P256 or P384.`,
      ),
    ],
    [
      "an ECDSA key without a curve (the provider default is P224)",
      { ecdsaCurve: undefined },
      mandatory(
        "key-algorithm",
        `${label}: ECDSA key without an explicit curve gets the provider default P224; set ecdsaCurve to P256 or P384.`,
      ),
    ],
    [
      "RSA 2048",
      { algorithm: "RSA", ecdsaCurve: undefined, rsaBits: 2048 },
      mandatory(
        "key-algorithm",
        `${label}: RSA key of 2048 bits is below 3072; set rsaBits to 3072 or 4096.`,
      ),
    ],
    [
      "RSA without a size (the provider default is 2048)",
      { algorithm: "RSA", ecdsaCurve: undefined },
      mandatory(
        "key-algorithm",
        `${label}: RSA key of 2048 bits is below 3072; set rsaBits to 3072 or 4096.`,
      ),
    ],
    [
      "an unknown algorithm",
      { algorithm: "DSA", ecdsaCurve: undefined },
      mandatory("key-algorithm", `${label}: unknown key algorithm DSA; use ECDSA, RSA or ED25519.`),
    ],
    [
      "a curve unknown during preview",
      { ecdsaCurve: UNKNOWN },
      [
        {
          policy: "key-algorithm",
          level: "advisory",
          message: notChecked(`${label}: the ECDSA curve (ecdsaCurve is unknown)`),
        },
      ],
    ],
    [
      "an algorithm unknown during preview",
      { algorithm: UNKNOWN },
      [
        {
          policy: "key-algorithm",
          level: "advisory",
          message: notChecked(`${label}: the key algorithm (algorithm is unknown)`),
        },
      ],
    ],
  ])("refuses %s", async (_, change, expected) => {
    expect(await runResourcePolicy(keyAlgorithm, key("gateway-key", change))).toEqual(expected);
  });

  it("refuses Ed25519 when allowEd25519 is false", async () => {
    const ed = key("gateway-key", { algorithm: "ED25519", ecdsaCurve: undefined });
    expect(await runResourcePolicy(keyAlgorithm, ed, { allowEd25519: false })).toEqual(
      mandatory(
        "key-algorithm",
        `${label}: Ed25519 keys are not allowed by this configuration; use ECDSA P256 or P384.`,
      ),
    );
  });

  it("reports at the enforcement level the engine passes", async () => {
    const bad = key("gateway-key", { ecdsaCurve: "P224" });
    const [violation] = await runResourcePolicy(keyAlgorithm, bad, {
      enforcementLevel: "advisory",
    });
    expect(violation.level).toBe("advisory");
  });

  it("ignores other resource types", async () => {
    const other = { ...key("gateway-key", { ecdsaCurve: "P224" }), type: "tls:index/other:Other" };
    expect(await runResourcePolicy(keyAlgorithm, other)).toEqual([]);
  });
});
